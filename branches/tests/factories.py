import factory

from branches.models import Branch, Venue


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch

    name = factory.Sequence(lambda n: f"测试第{n}支部")
    code = factory.Sequence(lambda n: f"branch-{n}")
    kind = Branch.Kind.BRANCH


class VenueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Venue

    name = factory.Sequence(lambda n: f"党员活动室{n}")
    capacity = 40
    owner = factory.SubFactory(BranchFactory)
