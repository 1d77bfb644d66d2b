"""Scale build steps: the organisation tree, members, accounts, posts and transfers."""

import datetime
import math

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from branches.models import Branch, Venue
from demo.members import (
    COMPOUND_SURNAMES,
    EDUCATION_IN_SERVICE,
    EDUCATION_RETIRED,
    ETHNICITIES,
    FEMALE_CHARS,
    MALE_CHARS,
    MOBILE_PREFIXES,
    PARTY_GROUPS,
    SURNAMES,
)
from demo.scale.common import (
    BENCH_LOGINS,
    COMMITTEE_POSTS,
    GB_SECRETARY_POSITION,
    LEADER_USERNAME,
    PASSWORD,
    SECOND_LEADER,
    _add_years,
    _cn_number,
    _day_between,
    _Org,
    _Person,
    _rng,
    _weighted,
)
from demo.scale.words import AREAS, DEPARTMENTS, EXPERTISE, JOB_POSTS, SECRETARY_JOBS, UNITS
from members.identity import id_check_char
from members.models import LeadershipScope, Member, Membership, Post
from members.permissions import leadership_group


class OrganisationSteps:
    # --- organisation ------------------------------------------------------

    def plan_organisation(self) -> None:
        sizes, spec = self.sizes, self.spec
        n_general = math.ceil(sizes.branches / sizes.branches_per_general)
        # With two or more 党总支, the last one belongs to a second bureau with its own leadership.
        second = n_general >= 2
        ids = iter(self.ids(Branch, 2 + 2 * second + n_general + sizes.branches))
        serial = iter(range(1, 10**6))

        def org(name, kind, parent, **extra):
            return _Org(next(ids), f"{self.name}-{next(serial):04d}", name, kind, parent, **extra)

        self.party_group = org(f"{spec.bureau}党组", Branch.Kind.PARTY_GROUP, None)
        self.committee = org(f"{spec.bureau}机关党委", Branch.Kind.COMMITTEE, self.party_group.id)
        self.second_bureau = []
        for g in range(n_general):
            area, unit = AREAS[g % len(AREAS)], UNITS[(g // len(AREAS)) % len(UNITS)]
            cycle = g // (len(AREAS) * len(UNITS))
            unit_name = f"{spec.area}{area}{unit}" + (f"（{cycle + 1}）" if cycle else "")
            self.generals.append(
                org(f"{unit_name}党总支", Branch.Kind.GENERAL_BRANCH, self.committee.id, unit=unit_name)
            )
        if second:
            # The last 党总支's unit becomes a bureau of its own, with its Party group and committee above it.
            last = self.generals[-1]
            party_group2 = org(f"{last.unit}党组", Branch.Kind.PARTY_GROUP, None)
            committee2 = org(f"{last.unit}机关党委", Branch.Kind.COMMITTEE, party_group2.id)
            last.parent_id = committee2.id
            self.second_bureau = [party_group2, committee2]
        for b in range(sizes.branches):
            g, n = divmod(b, sizes.branches_per_general)
            general = self.generals[g]
            number = _cn_number(n + 1) if n < 99 else str(n + 1)
            self.branches.append(
                org(f"{general.unit}第{number}党支部", Branch.Kind.BRANCH, general.id, unit=general.unit, general=g)
            )

    def write_organisation(self) -> None:
        rng = _rng(self.name, "organisation")
        orgs = [self.party_group, self.committee, *self.second_bureau, *self.generals, *self.branches]
        # The materialised path (branches.models.Branch.save is bypassed by the bulk load).
        paths = {}
        for org in orgs:
            paths[org.id] = paths.get(org.parent_id, "") + Branch.path_segment(org.id)
        rows = []
        for order, org in enumerate(orgs, start=1):
            if org.kind == Branch.Kind.BRANCH:
                served = "、".join(rng.sample(DEPARTMENTS, rng.randint(1, 3)))
            else:
                served = org.unit or self.spec.bureau
            founded = _day_between(rng, datetime.date(1980, 1, 1), datetime.date(2018, 12, 31))
            path = paths[org.id]
            rows.append(
                (
                    *(org.id, org.code, org.name, org.kind, org.parent_id, served, founded, True, min(order, 32767)),
                    *(path, path.count("/") - 1),
                )
            )
        fields = ["id", "code", "name", "kind", "parent_id", "units_served", "founded_on", "is_active", "sort_order"]
        fields += ["path", "depth"]
        self.loader.load(Branch, fields, rows)

        groups = range(0, len(self.branches), self.sizes.branches_per_venue)
        venue_ids = iter(self.ids(Venue, len(groups)))
        venues = []
        for start in groups:
            owner = self.branches[start]
            venue_id = next(venue_ids)
            for branch in self.branches[start : start + self.sizes.branches_per_venue]:
                branch.venue_id = venue_id
            projector = rng.random() < 0.8
            venues.append(
                (
                    venue_id,
                    owner.id,
                    f"{owner.name}党员活动室",
                    f"{owner.unit}办公楼{rng.randint(1, 6)}楼",
                    rng.choice((20, 30, 40, 60, 80)),
                    projector,
                    projector or rng.random() < 0.5,
                    rng.random() < 0.3,
                    rng.random() < 0.85,
                )
            )
        fields = ["id", "owner_id", "name", "address", "capacity", "has_projector", "has_network", "has_video_link"]
        self.loader.load(Venue, [*fields, "is_shareable"], venues)

    # --- members, memberships, posts, users ---------------------------------

    def plan_members(self) -> None:
        """Plan every member; the draws do not depend on today, so names and IDs never change."""
        rng = _rng(self.name, "members")
        sizes = self.sizes
        # Full members joined before the records begin.
        settled = min(self.window_start, datetime.date(self.today.year - 1, 1, 1)) - datetime.timedelta(days=1)
        used_ids: set[str] = set()
        ids = iter(self.ids(Member, sizes.branches * sizes.members_per_branch))
        for b, branch in enumerate(self.branches):
            for index in range(sizes.members_per_branch):
                person = self._plan_person(rng, next(ids), len(self.people), b, index, used_ids)
                self.people.append(person)
                if index < len(COMMITTEE_POSTS):
                    branch.committee.append(person)
        # Dates that follow today come from their own generator.
        dates = _rng(self.name, "member-dates")
        for person in self.people:
            f = person.fields
            if f["status"] == Member.Status.PROBATIONARY:
                f["joined_party_on"] = self.today - datetime.timedelta(days=dates.randint(30, 330))
                f["full_member_on"] = None
            else:
                earliest = _add_years(f["birth_date"], 18)
                latest = min(_add_years(f["birth_date"], 35), settled)
                f["joined_party_on"] = _day_between(dates, earliest, latest)
                f["full_member_on"] = f["joined_party_on"] + datetime.timedelta(days=365 + dates.randint(0, 30))
            person.active_from = f["joined_party_on"].toordinal()
        self._plan_users()
        self._plan_transfers(_rng(self.name, "transfers"))
        for person in self.people:
            if person.transfer is None:
                self.branches[person.branch].periods.append((person.id, person.active_from, 10**7))

    def _plan_person(self, rng, member_id, serial, b, index, used_ids) -> _Person:
        branch, spec = self.branches[b], self.spec
        gender = Member.Gender.MALE if rng.random() < 0.6 else Member.Gender.FEMALE
        chars = MALE_CHARS if gender == Member.Gender.MALE else FEMALE_CHARS
        surname = rng.choice(COMPOUND_SURNAMES) if rng.random() < 0.02 else rng.choice(SURNAMES)
        given_name = rng.choice(chars) + (rng.choice(chars) if rng.random() < 0.65 else "")
        post = index < len(COMMITTEE_POSTS)
        probationary = not post and rng.random() < 0.03
        retired = not post and not probationary and rng.random() < 0.08
        if probationary:
            birth = _day_between(rng, datetime.date(1994, 1, 1), datetime.date(2002, 12, 31))
        elif retired:
            birth = _day_between(rng, datetime.date(1945, 1, 1), datetime.date(1964, 12, 31))
        elif post:
            birth = _day_between(rng, datetime.date(1970, 1, 1), datetime.date(1986, 12, 31))
        else:
            birth = _day_between(rng, datetime.date(1963, 1, 1), datetime.date(2000, 12, 31))
        if rng.random() < 0.85:
            region = f"{spec.region}{branch.general % 20 + 1:02d}"
        else:
            region = f"{spec.region}{rng.randint(21, 99):02d}"
        parities = "13579" if gender == Member.Gender.MALE else "02468"
        while True:
            first17 = f"{region}{birth:%Y%m%d}{rng.randrange(100):02d}{rng.choice(parities)}"
            id_number = first17 + id_check_char(first17)
            if id_number not in used_ids:
                used_ids.add(id_number)
                break
        # An affine map of the serial is a bijection on eight digits: phones are unique.
        suffix = (serial * 7_340_033 + spec.phone_offset) % 10**8
        phone = rng.choice(MOBILE_PREFIXES) + f"{suffix:08d}"
        landline = f"0835-{rng.randint(2_000_000, 8_999_999)}" if rng.random() < 0.3 else ""
        if post:
            job_post, party_title = rng.choice(SECRETARY_JOBS), COMMITTEE_POSTS[index][1]
        else:
            job_post, party_title = ("退休干部" if retired else rng.choice(JOB_POSTS)), ""
        if b == 0 and index == BENCH_LOGINS[2][2]:
            job_post = "党组成员、副局长"
        expertise = ",".join(rng.sample(EXPERTISE, rng.randint(1, 2))) if rng.random() < 0.3 else ""
        full_name = surname + given_name
        name_pinyin, name_initials = self.pinyin(full_name)
        fields = {
            "full_name": full_name,
            "name_pinyin": name_pinyin,
            "name_initials": name_initials,
            "gender": gender,
            "ethnicity": _weighted(rng, ETHNICITIES),
            "birth_date": birth,
            "education": _weighted(rng, EDUCATION_RETIRED if retired else EDUCATION_IN_SERVICE),
            "id_number": id_number,
            "phone": phone,
            "landline": landline,
            "category": "离退休" if retired else "在职",
            "status": Member.Status.PROBATIONARY if probationary else Member.Status.FULL,
            "standing": Member.Standing.NORMAL,
            "work_unit": branch.unit + ("（退休）" if retired else ""),
            "job_post": job_post,
            "party_title": party_title,
            "party_group": PARTY_GROUPS[rng.randrange(len(PARTY_GROUPS))],
            "expertise": expertise,
        }
        return _Person(member_id, b, index, surname, given_name, fields)

    def _plan_users(self) -> None:
        """Accounts: the bench logins, then each branch's secretary and one member, up to `users`."""
        per_branch = self.sizes.members_per_branch
        wanted = [(username, position) for username, _role, position in BENCH_LOGINS]
        firsts = self._general_first_branches()
        if self.second_bureau:
            wanted.append((SECOND_LEADER[0], firsts[-1] * per_branch + SECOND_LEADER[2]))
        for g, b in enumerate(firsts[1:], start=2):
            wanted.append((f"{self.name}_g{g:04d}", b * per_branch + GB_SECRETARY_POSITION))
        for b in range(1, len(self.branches)):
            wanted.append((f"{self.name}_s{b + 1:04d}", b * per_branch))
            wanted.append((f"{self.name}_m{b + 1:04d}", b * per_branch + 3))
        wanted = wanted[: max(self.sizes.users, len(BENCH_LOGINS))]
        taken = set(
            get_user_model().objects.filter(username__in=[u for u, _p in wanted]).values_list("username", flat=True)
        )
        if taken:
            self.say(f"  这些用户名已被占用，对应党员不建账号：{'、'.join(sorted(taken))}")
        for username, position in wanted:
            if username not in taken:
                self.people[position].username = username

    def _general_first_branches(self) -> list[int]:
        """Index of the first branch of each 党总支: its organising member is also the 总支's secretary."""
        firsts = {}
        for b, branch in enumerate(self.branches):
            firsts.setdefault(branch.general, b)
        return [firsts[g] for g in sorted(firsts)]

    def _plan_transfers(self, rng) -> None:
        """Move a few full members to another branch during the window: one membership closes, one opens."""
        first = self.window_start + datetime.timedelta(days=60)
        last = self.today - datetime.timedelta(days=14)
        eligible = [
            p
            for p in self.people
            if p.index >= len(COMMITTEE_POSTS) and p.username is None and p.fields["status"] == Member.Status.FULL
        ]
        if first > last or len(self.branches) < 2 or not eligible or self.sizes.transfer_share <= 0:
            return
        count = max(1, round(len(self.people) * self.sizes.transfer_share))
        for person in rng.sample(eligible, min(count, len(eligible))):
            target = rng.randrange(len(self.branches) - 1)
            target += target >= person.branch
            day = _day_between(rng, first, last)
            old = self.branches[person.branch]
            old.periods.append((person.id, person.active_from, day.toordinal() - 1))
            self.branches[target].periods.append((person.id, day.toordinal(), 10**7))
            person.transfer = (person.branch, day)
            person.branch = target

    def write_users(self) -> None:
        User = get_user_model()
        holders = [p for p in self.people if p.username]
        password = make_password(PASSWORD)  # hashed once: every account shares the published password
        for person, user_id in zip(holders, self.ids(User, len(holders)), strict=True):
            person.user_id = user_id
        rows = (
            (
                p.user_id,
                password,
                False,
                p.username,
                p.given_name,
                p.surname,
                f"{p.username}@{self.spec.email_domain}",
                False,
                True,
                self.now,
            )
            for p in holders
        )
        fields = ["id", "password", "is_superuser", "username", "first_name", "last_name", "email", "is_staff"]
        self.loader.load(User, [*fields, "is_active", "date_joined"], rows)
        leader = next((p for p in holders if p.username == LEADER_USERNAME), None)
        if leader is not None:
            User.groups.through.objects.create(user_id=leader.user_id, group_id=leadership_group().pk)
        leader2 = next((p for p in holders if p.username == SECOND_LEADER[0]), None)
        if leader2 is not None and self.second_bureau:
            LeadershipScope.objects.create(user_id=leader2.user_id, organisation_id=self.second_bureau[0].id)

    def write_members(self) -> None:
        person_fields = list(self.people[0].fields)

        def rows():
            for p in self.people:
                email = f"{p.username}@{self.spec.email_domain}" if p.username else ""
                branch_id = self.branches[p.branch].id
                yield (p.id, branch_id, p.user_id, email, self.now, self.now, *(p.fields[f] for f in person_fields))

        head = ["id", "branch_id", "user_id", "email", "created_at", "updated_at"]
        self.loader.load(Member, head + person_fields, rows())

        def memberships():
            for p in self.people:
                joined = p.fields["joined_party_on"]
                if p.transfer is None:
                    yield (p.id, self.branches[p.branch].id, joined, None, "")
                    continue
                old, day = p.transfer
                old_branch, new_branch = self.branches[old], self.branches[p.branch]
                yield (p.id, old_branch.id, joined, day - datetime.timedelta(days=1), f"转出至{new_branch.name}")
                yield (p.id, new_branch.id, day, None, f"由{old_branch.name}转入")

        periods = list(memberships())
        ids = self.ids(Membership, len(periods))
        fields = ["id", "member_id", "branch_id", "start_on", "end_on", "note"]
        self.loader.load(Membership, fields, ((i, *row) for i, row in zip(ids, periods, strict=True)))

        posts_from = datetime.date(self.today.year - 2, 1, 1)
        posts = [
            (branch.id, person.id, kind)
            for branch in self.branches
            for person, (kind, _title) in zip(branch.committee, COMMITTEE_POSTS, strict=True)
        ]
        # Every 党总支 has a secretary: a committee member of its first branch holds the post as well.
        posts += [
            (general.id, self.branches[b].committee[GB_SECRETARY_POSITION].id, Post.Kind.SECRETARY)
            for general, b in zip(self.generals, self._general_first_branches(), strict=False)
        ]
        ids = self.ids(Post, len(posts))
        rows = ((i, m, b, k, posts_from, None) for i, (b, m, k) in zip(ids, posts, strict=True))
        self.loader.load(Post, ["id", "member_id", "branch_id", "kind", "start_on", "end_on"], rows)
