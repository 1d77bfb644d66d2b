from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from members.services.roster import RosterInvalid, roster_import


class Command(BaseCommand):
    help = "Import a Party-member roster (.xlsx, .xls or CSV; every sheet): all rows, or none if any is invalid."

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to the .xlsx, .xls or .csv file")

    def handle(self, *args, **options):
        try:
            with open(options["file"], "rb") as handle:
                counts = roster_import(handle, actor=None)
        except FileNotFoundError:
            raise CommandError(_("No such file: %(path)s") % {"path": options["file"]}) from None
        except RosterInvalid as exc:
            for error in exc.check.errors:
                where = _("row %(line)d") % {"line": error.line} if error.line else _("file")
                if error.sheet:
                    where = f"「{error.sheet}」 {where}"
                column = f"「{error.column}」" if error.column else ""
                self.stderr.write(f"{where} {column}: {error.message}")
            raise CommandError(
                ngettext(
                    "%(count)d problem found; nothing was imported.",
                    "%(count)d problems found; nothing was imported.",
                    len(exc.check.errors),
                )
                % {"count": len(exc.check.errors)}
            ) from None
        self.stdout.write(
            _("Roster imported: %(create)d new, %(update)d updated, %(transfer)d transferred, %(unchanged)d unchanged.")
            % counts
        )
