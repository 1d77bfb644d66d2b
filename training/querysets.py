from django.apps import apps
from django.db import models
from django.db.models import Exists, OuterRef, Q

# Kinds whose audience is narrower than the host branches (see for_member): a
# branch committee meeting (支委会) is for the committee, a Party cell meeting
# (党小组会) for the members of that cell.
COMMITTEE_AUDIENCE_KINDS = ("committee_meeting",)
GROUP_AUDIENCE_KINDS = ("group_meeting",)
NARROW_AUDIENCE_KINDS = (*COMMITTEE_AUDIENCE_KINDS, *GROUP_AUDIENCE_KINDS)


class LessonQuerySet(models.QuerySet):
    def live(self):
        """Drop cancelled lessons."""
        return self.exclude(status="cancelled")

    def overlapping(self, start, end):
        """Keep lessons that share any moment with [start, end)."""
        return self.filter(start__lt=end, end__gt=start)

    def in_range(self, start, end):
        """Keep lessons starting in [start, end)."""
        return self.filter(start__gte=start, start__lt=end)

    def for_member(self, member):
        """Keep published or held lessons whose audience includes *member*.

        The audience rule, the one every surface uses (lesson pages, lists,
        home, calendars, the ICS feed, check-in, materials, feedback) and that
        training.services.lessons.lesson_audience applies from the lesson's
        side (attendance rows, reminders): the members of the branches that
        host the lesson, except that a branch committee meeting (支委会) is for
        the members holding a committee post in a host branch, and a Party
        cell meeting (党小组会) for the members of that cell in a host
        branch. Members named on the lesson, and members with an attendance
        row, are in the audience whatever the kind.
        """
        Attendance = apps.get_model("training", "Attendance")
        LessonHost = apps.get_model("training", "LessonHost")
        Post = apps.get_model("members", "Post")
        # Plain (uncorrelated) subqueries: the database reads the member's few
        # rows through the indexes once, instead of probing for every lesson.
        accepted_host = LessonHost.objects.filter(branch_id=member.branch_id, status="accepted").values("lesson_id")
        on_committee = Post.objects.current().committee().filter(member=member).values("branch_id")
        committee_host = LessonHost.objects.filter(branch_id__in=on_committee, status="accepted").values("lesson_id")
        has_row = Attendance.objects.filter(member=member).values("lesson_id")
        invited = self.model.extra_audience.through.objects.filter(member=member).values("lesson_id")
        by_branch = Q(pk__in=accepted_host) & ~Q(kind__in=NARROW_AUDIENCE_KINDS)
        by_committee = Q(pk__in=committee_host, kind__in=COMMITTEE_AUDIENCE_KINDS)
        by_group = Q(pk__in=[])
        if member.party_group:
            by_group = Q(pk__in=accepted_host, kind__in=GROUP_AUDIENCE_KINDS, party_group=member.party_group)
        return self.exclude(status="draft").filter(
            by_branch | by_committee | by_group | Q(pk__in=has_row) | Q(pk__in=invited)
        )

    def hosted_by(self, branch_ids):
        """Keep lessons where one of *branch_ids* is organiser or invited co-host."""
        LessonHost = apps.get_model("training", "LessonHost")
        return self.filter(Exists(LessonHost.objects.filter(lesson=OuterRef("pk"), branch_id__in=branch_ids)))

    def visible_to(self, roles):
        """Keep the lessons a user with *roles* may open."""
        if roles.is_top_level:
            return self
        condition = Q(pk__in=[])
        if roles.scope_ids:
            condition |= Q(pk__in=self.model.objects.hosted_by(roles.scope_ids).values("pk"))
        if roles.member is not None:
            condition |= Q(pk__in=self.model.objects.for_member(roles.member).values("pk"))
        return self.filter(condition)
