import pytest
from django.urls import reverse

from assessments.awards import branch_rating_save, rating_criteria, star_award_create, star_categories
from members.models import Member

pytestmark = pytest.mark.django_db


def test_matrix(personas, branch_a, leader, client, capsys):
    m = Member.objects.get(user=personas["member"])
    award = star_award_create(member=m, year=2026, category=star_categories()[0], actor=leader)
    branch_rating_save(branch=branch_a, year=2026, scores={c.pk: 80 for c in rating_criteria()}, actor=leader)
    urls = {
        "star_list": reverse("awards:star_list", args=[2026]),
        "star_list?branch=A": reverse("awards:star_list", args=[2026]) + f"?branch={branch_a.pk}",
        "star_award": reverse("awards:star_award", args=[2026]),
        "star_award_withdraw": reverse("awards:star_award_withdraw", args=[award.pk]),
        "rating_list": reverse("awards:rating_list", args=[2026]),
        "rating_detail": reverse("awards:rating_detail", args=[2026, branch_a.pk]),
        "config": reverse("awards:config"),
    }
    out = []
    for name in ["anonymous", "member", "secretary", "outsider", "leader", "admin"]:
        client.logout()
        if name != "anonymous":
            client.force_login(personas[name])
        row = []
        for key, u in urls.items():
            r = client.get(u)
            row.append(f"{key}={r.status_code}")
        out.append(name + ": " + " ".join(row))
    with capsys.disabled():
        print("\n" + "\n".join(out))
