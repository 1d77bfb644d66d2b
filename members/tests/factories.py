import datetime

import factory
from django.contrib.auth import get_user_model

from branches.tests.factories import BranchFactory
from members.identity import id_check_char
from members.models import Member, Membership, Post

PASSWORD = "correct-horse-battery"


def make_id_number(n: int, *, gender: str = "male", birth: datetime.date | None = None) -> str:
    """Return a valid ID number for the n-th test person."""
    birth = birth or datetime.date(1975, 1, 1) + datetime.timedelta(days=(n * 37) % 9000)
    sequence = (n % 499) * 2 + (1 if gender == "male" else 0)
    first17 = f"510104{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_check_char(first17)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(PASSWORD)


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member
        skip_postgeneration_save = True

    full_name = factory.Iterator(["张三", "李四", "王五", "赵六", "陈晓明", "刘芳", "杨洋", "黄磊"])
    gender = Member.Gender.MALE
    branch = factory.SubFactory(BranchFactory)
    joined_party_on = datetime.date(2005, 7, 1)
    full_member_on = datetime.date(2006, 7, 1)
    status = Member.Status.FULL
    phone = factory.Sequence(lambda n: f"138{n:08d}")

    @factory.lazy_attribute_sequence
    def id_number(self, n):
        return make_id_number(n + 1000, gender=self.gender)

    @factory.lazy_attribute
    def birth_date(self):
        return datetime.date(int(self.id_number[6:10]), int(self.id_number[10:12]), int(self.id_number[12:14]))

    @factory.post_generation
    def membership(obj, create, extracted, **kwargs):
        if create:
            Membership.objects.create(member=obj, branch=obj.branch, start_on=obj.joined_party_on)


class PostFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Post

    member = factory.SubFactory(MemberFactory)
    branch = factory.SelfAttribute("member.branch")
    kind = Post.Kind.SECRETARY
    start_on = datetime.date(2024, 1, 1)
