"""Finding a Party organisation by what a spreadsheet calls it: the one resolver imports use.

A cell may hold a full path ("东城区交通运输局 › 机关党委 › 第一党支部", also
with "/" or ">" between the names), the tail of one ("机关党委/第一党支部"), a
bare name or a code. A path matches an organisation whose own name and its
parents' names, read upwards, are those of the path, so the answer is right
whether names are unique in the whole tree or only among siblings. A name is
looked up within the organisations the importing user manages; one that
names two of them is refused as ambiguous rather than guessed.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from branches.models import Branch
from members.permissions import managed_branches

SEPARATOR = re.compile(r"\s*(?:›|»|>|＞|/|／|\\)\s*")
PATH_JOINER = " › "
# Words around an organisation's name in a sheet's title lines.
TITLE_SUFFIX = re.compile(r"(?:党员)?(?:花名册|名册|名单|信息表|基本信息)$")
TITLE_LABEL = re.compile(r"^[^:：]{1,10}[:：]\s*")


@dataclass(frozen=True)
class Organisation:
    pk: int
    name: str
    code: str
    parent_id: int | None


class OrganisationResolver:
    """Resolve organisation names and paths for one importing user; two queries, then none."""

    def __init__(self, actor):
        self.nodes = {
            row[0]: Organisation(*row) for row in Branch.objects.values_list("pk", "name", "code", "parent_id")
        }
        self.scope = set(self.nodes) if actor is None else set(managed_branches(actor).values_list("pk", flat=True))
        self.by_name: dict[str, list[int]] = {}
        for node in self.nodes.values():
            self.by_name.setdefault(node.name, []).append(node.pk)
        self.by_code = {node.code.lower(): node.pk for node in self.nodes.values()}
        self._branches: dict[int, Branch] = {}

    def names_upwards(self, pk: int) -> list[str]:
        """The names from the organisation *pk* up to the root of the tree."""
        names, seen = [], set()
        while pk is not None and pk not in seen and pk in self.nodes:
            seen.add(pk)
            names.append(self.nodes[pk].name)
            pk = self.nodes[pk].parent_id
        return names

    def path(self, pk: int) -> str:
        return PATH_JOINER.join(reversed(self.names_upwards(pk)))

    def is_unique_name(self, pk: int) -> bool:
        return len(self.by_name.get(self.nodes[pk].name, ())) == 1

    def _matches(self, parts: list[str]) -> list[int]:
        found = [pk for pk in self.by_name.get(parts[-1], ()) if self.names_upwards(pk)[: len(parts)] == parts[::-1]]
        if not found and len(parts) == 1 and parts[0].lower() in self.by_code:
            found = [self.by_code[parts[0].lower()]]
        return found

    def branch(self, pk: int) -> Branch:
        if not self._branches:
            self._branches = Branch.objects.in_bulk(self.scope)
        return self._branches[pk]

    def resolve(self, text: str) -> tuple[Branch | None, str]:
        """Return (the organisation, "") or (None, a message for the user)."""
        parts = [part for part in SEPARATOR.split(text.strip()) if part]
        if not parts:
            return None, _("This value is required.")
        found = self._matches(parts)
        mine = [pk for pk in found if pk in self.scope]
        if len(mine) == 1:
            return self.branch(mine[0]), ""
        if len(mine) > 1:
            return None, _("“%(name)s” names %(count)d organisations; write the full path, e.g. “%(path)s”.") % {
                "name": text.strip(),
                "count": len(mine),
                "path": self.path(mine[0]),
            }
        if found:
            return None, _("You may not manage members of %(branch)s.") % {"branch": self.nodes[found[0]].name}
        return None, _("There is no Party organisation named “%(name)s”.") % {"name": text.strip()}

    def from_title(self, texts: list[str]) -> Branch | None:
        """Return the one organisation that a sheet's name or title lines name, or None.

        Each text is tried whole (without "××党员花名册" or a "label:" in
        front) and then searched for the names of the organisations in
        scope; a name inside a longer one's path ("机关党委第一党支部") counts
        for the deepest organisation only.
        """
        for text in texts:
            cleaned = TITLE_SUFFIX.sub("", TITLE_LABEL.sub("", text.strip())).strip()
            if cleaned:
                found = [pk for pk in self._matches([p for p in SEPARATOR.split(cleaned) if p]) if pk in self.scope]
                if len(found) == 1:
                    return self.branch(found[0])
        for text in texts:
            named = {pk for pk in self.scope if self.nodes[pk].name in text}
            parents = {self.nodes[pk].parent_id for pk in named}
            deepest = [pk for pk in named if pk not in parents]
            if len(deepest) == 1:
                return self.branch(deepest[0])
        return None
