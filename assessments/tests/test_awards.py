"""Five-star members (五星党员) and the branch rating (三型五好)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assessments.models import BranchRating, RatingCriterion, StarAward, StarCategory
from assessments.selectors.awards import (
    StarCounts,
    branch_ratings,
    five_star_members,
    rating_outcome_distribution,
    star_counts_by_branch,
    stars_for_year,
)
from assessments.services.awards import (
    DEFAULT_RATING_CRITERIA,
    DEFAULT_STAR_CATEGORIES,
    branch_rating_save,
    rating_criteria,
    star_award_create,
    star_award_withdraw,
    star_categories,
    star_categories_update,
    suggested_outcome,
)
from branches.tests.factories import BranchFactory
from core.models import AuditEntry
from members.models import Member
from members.tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

YEAR = 2026


def member_of(user) -> Member:
    return Member.objects.get(user=user)


def award_all(member, *, year=YEAR, actor=None, skip=()):
    for category in star_categories():
        if category.is_active and category.name not in skip:
            star_award_create(member=member, year=year, category=category, actor=actor)


def category(name) -> StarCategory:
    return StarCategory.objects.get(name=name)


def config_rows(categories, **changes_by_name):
    rows = []
    for c in categories:
        row = {"id": c.pk, "name": c.name, "sort_order": c.sort_order, "is_active": c.is_active}
        row.update(changes_by_name.get(c.name, {}))
        rows.append(row)
    return rows


def all_scores(value, *, overrides=None):
    scores = {c.pk: value for c in rating_criteria() if c.is_active}
    for name, score in (overrides or {}).items():
        scores[RatingCriterion.objects.get(name=name).pk] = score
    return scores


# --- defaults --------------------------------------------------------------


def test_star_categories_defaults_are_created_once():
    first = star_categories()
    second = star_categories()
    assert [c.name for c in first] == list(DEFAULT_STAR_CATEGORIES) == [c.name for c in second]
    assert StarCategory.objects.count() == 5
    assert all(c.is_active for c in first)


def test_rating_criteria_defaults_are_created_once_with_three_types_and_five_goods():
    rating_criteria()
    criteria = rating_criteria()
    assert RatingCriterion.objects.count() == len(DEFAULT_RATING_CRITERIA) == 8
    types = [c.name for c in criteria if c.group == RatingCriterion.Group.TYPE]
    goods = [c.name for c in criteria if c.group == RatingCriterion.Group.GOOD]
    assert types == ["学习型", "服务型", "创新型"]
    assert goods == ["班子好", "队伍好", "制度好", "作风好", "业绩好"]
    assert [c.name for c in criteria] == types + goods  # 三型 first, then 五好


def test_defaults_are_not_recreated_after_renaming(leader):
    categories = star_categories()
    star_categories_update(rows=config_rows(categories, 学习之星={"name": "理论学习之星"}), actor=leader)
    assert [c.name for c in star_categories()][0] == "理论学习之星"
    assert StarCategory.objects.count() == 5


# --- stars -----------------------------------------------------------------


def test_awarding_every_active_category_makes_a_five_star_member(member, leader):
    zhang = member_of(member)
    award_all(zhang, actor=leader, skip={"创新之星"})
    assert [row.is_five_star for row in stars_for_year(YEAR)] == [False]
    assert five_star_members(YEAR) == []

    star_award_create(member=zhang, year=YEAR, category=category("创新之星"), actor=leader)
    [row] = stars_for_year(YEAR)
    assert row.is_five_star is True
    assert [c.name for c in row.categories] == list(DEFAULT_STAR_CATEGORIES)
    assert five_star_members(YEAR) == [zhang]
    assert five_star_members(YEAR + 1) == []


def test_deactivating_a_category_changes_the_requirement(member, outsider, leader):
    zhang, li = member_of(member), member_of(outsider)
    award_all(zhang, actor=leader, skip={"创新之星"})
    award_all(li, actor=leader)
    assert five_star_members(YEAR) == [li]

    categories = star_categories()
    star_categories_update(rows=config_rows(categories, 创新之星={"is_active": False}), actor=leader)
    assert set(five_star_members(YEAR)) == {zhang, li}
    assert all(row.is_five_star for row in stars_for_year(YEAR))

    # A sixth active category raises the bar again for everyone.
    rows = config_rows(star_categories()) + [{"id": None, "name": "廉洁之星", "sort_order": 99, "is_active": True}]
    star_categories_update(rows=rows, actor=leader)
    assert five_star_members(YEAR) == []
    assert [c.name for c in stars_for_year(YEAR)[0].missing] == ["廉洁之星"]
    assert AuditEntry.objects.filter(action="star_category.created").count() == 1
    assert AuditEntry.objects.get(action="star_category.updated").payload["is_active"] == [True, False]


def test_last_active_category_cannot_be_deactivated(leader):
    rows = [dict(row, is_active=False) for row in config_rows(star_categories())]
    with pytest.raises(ValidationError) as exc:
        star_categories_update(rows=rows, actor=leader)
    assert exc.value.code == "no_active_category"
    assert StarCategory.objects.filter(is_active=True).count() == 5


def test_duplicate_award_is_refused_with_a_clear_message(member, leader):
    zhang = member_of(member)
    star = star_categories()[0]
    star_award_create(member=zhang, year=YEAR, category=star, reason="带头学习", actor=leader)
    with pytest.raises(ValidationError) as exc:
        star_award_create(member=zhang, year=YEAR, category=star, actor=leader)
    assert exc.value.code == "duplicate_award"
    assert exc.value.messages == ["张三已获评 2026 年度“学习之星”，不能重复评定。"]
    assert StarAward.objects.count() == 1
    # The same star in another year is a new award.
    star_award_create(member=zhang, year=YEAR + 1, category=star, actor=leader)


def test_inactive_category_and_inactive_member_are_refused(member, leader):
    zhang = member_of(member)
    star = star_categories()[0]
    StarCategory.objects.filter(pk=star.pk).update(is_active=False)
    star.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        star_award_create(member=zhang, year=YEAR, category=star, actor=leader)
    assert exc.value.code == "category_inactive"
    zhang.status = Member.Status.TRANSFERRED_OUT
    with pytest.raises(ValidationError) as exc:
        star_award_create(member=zhang, year=YEAR, category=star_categories()[1], actor=leader)
    assert exc.value.code == "member_inactive"


def test_award_and_withdrawal_are_audited(member, leader):
    zhang = member_of(member)
    award = star_award_create(member=zhang, year=YEAR, category=star_categories()[1], reason="志愿服务", actor=leader)
    created = AuditEntry.objects.get(action="star_award.created")
    assert created.actor == leader
    assert created.payload["category_name"] == "服务之星" and created.payload["reason"] == "志愿服务"
    assert star_award_withdraw(award=award, actor=leader) is True
    assert star_award_withdraw(award=award, actor=leader) is False
    assert not StarAward.objects.exists()
    withdrawn = AuditEntry.objects.get(action="star_award.withdrawn")
    assert withdrawn.payload["member"] == zhang.pk and withdrawn.target_id == str(award.pk)


def test_star_counts_by_branch_agree_with_the_awards(branch_a, branch_b, leader, django_assert_num_queries):
    star_categories()
    a1, a2 = MemberFactory.create_batch(2, branch=branch_a)
    b1, b2 = MemberFactory.create_batch(2, branch=branch_b)
    award_all(a1)  # 5 stars, five-star
    award_all(a2, skip={"奉献之星", "守纪之星", "创新之星"})  # 2 stars
    award_all(b1)  # 5
    award_all(b2)  # 5
    award_all(a2, year=YEAR - 1)  # another year: not counted
    with django_assert_num_queries(1):
        counts = star_counts_by_branch(YEAR)
    assert counts == {
        branch_a.pk: StarCounts(stars=7, members=2, five_star=1),
        branch_b.pk: StarCounts(stars=10, members=2, five_star=2),
    }
    # An inactive category's award still counts as a star, not towards five.
    StarCategory.objects.filter(name="学习之星").update(is_active=False)
    award_all(a2, skip={"学习之星", "服务之星"})  # a2 now has all four active ones
    counts = star_counts_by_branch(YEAR)
    assert counts[branch_a.pk] == StarCounts(stars=10, members=2, five_star=2)
    assert counts.get(BranchFactory().pk, StarCounts()) == StarCounts()
    assert {m.pk for m in five_star_members(YEAR, branch_ids=[branch_a.pk])} == {a1.pk, a2.pk}


@pytest.mark.parametrize("n", [2, 20])
def test_star_selectors_run_a_fixed_number_of_queries(n, branch_a, branch_b, django_assert_num_queries):
    star_categories()
    for member_ in MemberFactory.create_batch(n, branch=branch_a) + MemberFactory.create_batch(n, branch=branch_b):
        award_all(member_, skip={"创新之星"} if member_.pk % 2 else ())
    with django_assert_num_queries(2):
        rows = stars_for_year(YEAR)
        [row.member.branch.name for row in rows]
    assert len(rows) == 2 * n
    categories = star_categories()
    with django_assert_num_queries(1):
        rows = stars_for_year(YEAR, branch_ids=[branch_a.pk], categories=categories)
    assert len(rows) == n
    with django_assert_num_queries(1):
        five = five_star_members(YEAR)
        [m.branch.name for m in five]
    assert {m.pk for m in five} == {row.member.pk for row in stars_for_year(YEAR) if row.is_five_star}


# --- branch rating ---------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "expected"),
    [
        ([85] * 8, "model"),
        ([100] * 7 + [84], "met"),
        ([60] * 8, "met"),
        ([90, 30], "met"),  # average 60
        ([60] * 7 + [59], "not_met"),  # average 59.875: not rounded up
        ([0] * 8, "not_met"),
        ([], ""),
    ],
)
def test_suggested_outcome_rules(scores, expected):
    assert suggested_outcome(scores) == expected


def test_rating_takes_the_suggested_outcome_and_audits_it(branch_a, leader):
    rating = branch_rating_save(branch=branch_a, year=YEAR, scores=all_scores(90), comment="班子团结", actor=leader)
    assert rating.outcome == BranchRating.Outcome.MODEL
    assert rating.scores.count() == 8
    entry = AuditEntry.objects.get(action="branch_rating.created")
    assert entry.payload["overridden"] is False
    assert entry.payload["suggested_outcome"] == "model" and entry.payload["outcome"] == "model"
    assert entry.payload["scores"]["班子好"] == [None, 90]


def test_rating_override_is_kept_and_audited(branch_a, leader):
    branch_rating_save(branch=branch_a, year=YEAR, scores=all_scores(90), actor=leader)
    rating = branch_rating_save(
        branch=branch_a,
        year=YEAR,
        scores=all_scores(90, overrides={"作风好": 70}),
        outcome=BranchRating.Outcome.MODEL,
        comment="作风问题已整改",
        actor=leader,
    )
    assert rating.outcome == "model"
    entry = AuditEntry.objects.get(action="branch_rating.updated")
    assert entry.payload["overridden"] is True
    assert entry.payload["suggested_outcome"] == "met" and entry.payload["outcome"] == "model"
    assert entry.payload["scores"] == {"作风好": [90, 70]}
    [row] = branch_ratings(YEAR).rows
    assert row.is_overridden is True and row.suggested == "met"


def test_rating_refuses_missing_scores(branch_a, leader):
    scores = all_scores(80)
    scores.pop(RatingCriterion.objects.get(name="业绩好").pk)
    with pytest.raises(ValidationError) as exc:
        branch_rating_save(branch=branch_a, year=YEAR, scores=scores, actor=leader)
    assert exc.value.code == "missing_score"
    assert "业绩好" in exc.value.messages[0]
    assert not BranchRating.objects.exists()


def test_rating_outcome_distribution_agrees_with_the_ratings(committee, branch_a, branch_b, leader):
    branch_c, _branch_d = BranchFactory(parent=committee), BranchFactory(parent=committee)
    BranchFactory(parent=committee, is_active=False)  # inactive and unrated: not listed
    branch_rating_save(branch=branch_a, year=YEAR, scores=all_scores(95), actor=leader)
    branch_rating_save(branch=branch_b, year=YEAR, scores=all_scores(70), actor=leader)
    branch_rating_save(branch=branch_c, year=YEAR, scores=all_scores(40), actor=leader)
    branch_rating_save(branch=branch_c, year=YEAR - 1, scores=all_scores(95), actor=leader)
    with CaptureQueriesContext(connection) as ctx:
        distribution = rating_outcome_distribution(YEAR)
    assert len(ctx.captured_queries) == 1
    assert distribution == {"model": 1, "met": 1, "not_met": 1, "unrated": 1}
    assert len(branch_ratings(YEAR).rows) == 4  # the committee itself is not rated


@pytest.mark.parametrize("n", [2, 20])
def test_branch_ratings_run_a_fixed_number_of_queries(n, committee, leader, django_assert_num_queries):
    branches = BranchFactory.create_batch(n, parent=committee)
    for branch in branches[1:]:
        branch_rating_save(branch=branch, year=YEAR, scores=all_scores(60 + branches.index(branch)), actor=leader)
    with django_assert_num_queries(4):
        table = branch_ratings(YEAR)
        [(row.outcome_label, [cell.score for cell in row.scores], row.suggested) for row in table.rows]
    # By branch, not by position: factory codes ("branch-99", "branch-100") do not sort in creation order.
    rows = {row.branch.pk: row for row in table.rows}
    assert len(table.rows) == n and rows[branches[0].pk].rating is None
    assert [cell.score for cell in rows[branches[1].pk].scores] == [61] * 8
    with django_assert_num_queries(3):
        branch_ratings(YEAR, with_scores=False)


# --- pages -----------------------------------------------------------------


def url(name, *args):
    return reverse(f"awards:{name}", args=args)


def test_anonymous_is_sent_to_login(client):
    response = client.get(url("star_list", YEAR))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_member_sees_published_honours_without_controls_or_scores(client, member, outsider, branch_a, leader):
    li = member_of(outsider)
    award_all(li, actor=leader)
    branch_rating_save(branch=branch_a, year=YEAR, scores=all_scores(88), actor=leader)
    client.force_login(member)
    stars = client.get(url("star_list", YEAR))
    assert stars.status_code == 200
    assert "李四" in stars.text and "★ 创新之星" in stars.text
    assert url("star_award", YEAR) not in stars.text and "撤销" not in stars.text
    ratings = client.get(url("rating_list", YEAR))
    assert ratings.status_code == 200
    assert "机关第一支部" in ratings.text and "三型五好党支部" in ratings.text
    assert "班子好" not in ratings.text  # no score columns
    assert url("rating_detail", YEAR, branch_a.pk) not in ratings.text


@pytest.mark.parametrize("persona", ["secretary", "member", "outsider"])
def test_only_leadership_awards_and_withdraws(persona, personas, client, branch_a, member, leader):
    zhang = member_of(member)
    award = star_award_create(member=zhang, year=YEAR, category=star_categories()[0], actor=leader)
    client.force_login(personas[persona])
    data = {"branch": branch_a.pk, "member": zhang.pk, "category": star_categories()[1].pk}
    assert client.post(url("star_award", YEAR), data).status_code == 403
    assert client.post(url("star_award_withdraw", award.pk)).status_code == 403
    assert client.get(url("config")).status_code == 403
    assert StarAward.objects.count() == 1


def test_leader_awards_through_the_page_and_duplicates_get_the_message(client, leader, member, branch_a):
    zhang = member_of(member)
    client.force_login(leader)
    page = client.get(url("star_list", YEAR), {"branch": branch_a.pk})
    assert page.status_code == 200 and f'value="{zhang.pk}"' in page.text
    data = {"branch": branch_a.pk, "member": zhang.pk, "category": star_categories()[0].pk, "reason": "带头学习"}
    response = client.post(url("star_award", YEAR), data)
    assert response.status_code == 302
    assert StarAward.objects.get().reason == "带头学习"
    again = client.post(url("star_award", YEAR), data)
    assert again.status_code == 400
    assert "张三已获评 2026 年度“学习之星”，不能重复评定。" in again.text


def test_award_form_only_accepts_members_of_the_chosen_branch(client, leader, outsider, branch_a):
    client.force_login(leader)
    data = {"branch": branch_a.pk, "member": member_of(outsider).pk, "category": star_categories()[0].pk}
    assert client.post(url("star_award", YEAR), data).status_code == 400
    assert not StarAward.objects.exists()


def test_leader_withdraws_with_a_post_only(client, leader, member):
    award = star_award_create(member=member_of(member), year=YEAR, category=star_categories()[0], actor=leader)
    client.force_login(leader)
    assert client.get(url("star_award_withdraw", award.pk)).status_code == 405
    assert client.post(url("star_award_withdraw", award.pk)).status_code == 302
    assert not StarAward.objects.exists()
    assert AuditEntry.objects.filter(action="star_award.withdrawn", actor=leader).exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("leader", 200), ("admin", 200), ("secretary", 200), ("member", 403), ("outsider", 404)],
)
def test_rating_detail_access(persona, status, personas, client, branch_a):
    client.force_login(personas[persona])
    assert client.get(url("rating_detail", YEAR, branch_a.pk)).status_code == status


def test_secretary_reads_own_scores_but_cannot_post(client, secretary, branch_a, branch_b, leader):
    branch_rating_save(branch=branch_a, year=YEAR, scores=all_scores(77), comment="继续努力", actor=leader)
    client.force_login(secretary)
    page = client.get(url("rating_detail", YEAR, branch_a.pk))
    assert page.status_code == 200
    assert "班子好" in page.text and "77" in page.text and "继续努力" in page.text
    assert 'name="comment"' not in page.text
    assert client.post(url("rating_detail", YEAR, branch_a.pk), {"comment": "x"}).status_code == 403
    assert client.get(url("rating_detail", YEAR, branch_b.pk)).status_code == 404
    assert url("rating_detail", YEAR, branch_a.pk) in client.get(url("rating_list", YEAR)).text


def test_leader_scores_and_overrides_through_the_page(client, leader, branch_a):
    client.force_login(leader)
    assert client.get(url("rating_detail", YEAR, branch_a.pk)).status_code == 200
    data = {f"score_{pk}": score for pk, score in all_scores(90, overrides={"制度好": 50}).items()}
    data.update({"comment": "制度建设滞后", "outcome": "not_met"})
    assert client.post(url("rating_detail", YEAR, branch_a.pk), data).status_code == 302
    rating = BranchRating.objects.get(branch=branch_a, year=YEAR)
    assert rating.outcome == "not_met" and rating.comment == "制度建设滞后"
    payload = AuditEntry.objects.get(action="branch_rating.created").payload
    assert payload["overridden"] is True and payload["suggested_outcome"] == "met"
    data["score_" + str(RatingCriterion.objects.get(name="制度好").pk)] = 101
    assert client.post(url("rating_detail", YEAR, branch_a.pk), data).status_code == 400


def test_config_page_renames_and_adds(client, leader):
    client.force_login(leader)
    assert client.get(url("config")).status_code == 200
    categories, criteria = star_categories(), rating_criteria()
    data = {
        "stars-TOTAL_FORMS": len(categories) + 1,
        "stars-INITIAL_FORMS": len(categories),
        "criteria-TOTAL_FORMS": len(criteria) + 1,
        "criteria-INITIAL_FORMS": len(criteria),
    }
    for i, c in enumerate(categories):
        data.update({f"stars-{i}-id": c.pk, f"stars-{i}-name": c.name, f"stars-{i}-sort_order": c.sort_order})
        if c.name != "守纪之星":
            data[f"stars-{i}-is_active"] = "on"
    data.update({f"stars-{len(categories)}-sort_order": 0, f"stars-{len(categories)}-is_active": "on"})
    for i, c in enumerate(criteria):
        name = "班子建设好" if c.name == "班子好" else c.name
        data.update(
            {
                f"criteria-{i}-id": c.pk,
                f"criteria-{i}-name": name,
                f"criteria-{i}-group": c.group,
                f"criteria-{i}-sort_order": c.sort_order,
                f"criteria-{i}-is_active": "on",
            }
        )
    n = len(criteria)
    data.update(
        {
            f"criteria-{n}-name": "廉洁型",
            f"criteria-{n}-group": "type",
            f"criteria-{n}-sort_order": 40,
            f"criteria-{n}-is_active": "on",
        }
    )
    response = client.post(url("config"), data)
    assert response.status_code == 302, response.text
    assert StarCategory.objects.count() == 5
    assert not category("守纪之星").is_active
    assert RatingCriterion.objects.filter(name__in=["班子建设好", "廉洁型"]).count() == 2
    assert RatingCriterion.objects.count() == 9
    assert AuditEntry.objects.filter(action="rating_criterion.created").count() == 1


def query_count(client, path, params=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, params or {})
    assert response.status_code == 200, path
    return len(ctx.captured_queries)


def test_stars_page_query_count_is_the_same_for_2_and_20_members(client, leader, branch_a, branch_b):
    star_categories()
    for member_ in MemberFactory.create_batch(2, branch=branch_a):
        award_all(member_)
    client.force_login(leader)
    path, params = url("star_list", YEAR), {"branch": branch_a.pk}
    client.get(path, params)
    small = query_count(client, path, params)
    for member_ in MemberFactory.create_batch(18, branch=branch_a) + MemberFactory.create_batch(5, branch=branch_b):
        award_all(member_, skip={"守纪之星"})
    assert query_count(client, path, params) == small
    assert query_count(client, path) < small  # no member select without a branch


def test_ratings_page_query_count_is_the_same_for_2_and_20_branches(client, leader, committee):
    for branch in BranchFactory.create_batch(2, parent=committee):
        branch_rating_save(branch=branch, year=YEAR, scores=all_scores(80), actor=leader)
    client.force_login(leader)
    path = url("rating_list", YEAR)
    client.get(path)
    small = query_count(client, path)
    for branch in BranchFactory.create_batch(18, parent=committee):
        branch_rating_save(branch=branch, year=YEAR, scores=all_scores(90), actor=leader)
    assert query_count(client, path) == small


def test_page_query_budgets(client, leader, member, branch_a, django_assert_num_queries):
    award_all(member_of(member))
    branch_rating_save(branch=branch_a, year=YEAR, scores=all_scores(80), actor=leader)
    client.force_login(leader)
    stars, ratings = url("star_list", YEAR), url("rating_list", YEAR)
    client.get(stars)
    with django_assert_num_queries(9):
        client.get(stars, {"branch": branch_a.pk})
    with django_assert_num_queries(9):
        client.get(ratings)
