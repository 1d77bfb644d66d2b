from django.core.management.base import BaseCommand

from members.sensitive import access_log_purge


class Command(BaseCommand):
    help = "Delete access-log rows of ID and phone numbers older than IDENTITY_ACCESS_RETENTION_DAYS."

    def handle(self, *args, **options):
        deleted = access_log_purge()
        self.stdout.write(f"{deleted} access-log rows deleted")
