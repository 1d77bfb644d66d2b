from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from members.models import Member
from members.services.roster import roster_export


class Command(BaseCommand):
    help = "Export every member to a roster workbook (.xlsx), with full ID numbers."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path of the .xlsx workbook to write")

    def handle(self, *args, **options):
        members = Member.objects.select_related("branch").order_by("branch__sort_order", "name_pinyin", "pk")
        content = roster_export(members, viewer=None, where="manage.py export_roster")
        count = members.count()
        with open(options["file"], "wb") as handle:
            handle.write(content)
        self.stdout.write(
            ngettext("%(count)d member written to %(path)s", "%(count)d members written to %(path)s", count)
            % {"count": count, "path": options["file"]}
        )
