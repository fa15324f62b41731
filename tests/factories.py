from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from blocks.models import Area, Posting

PASSWORD = "Correct-Horse-42"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"张{n}")
    phone = factory.Sequence(lambda n: f"138{n:08d}")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])


def area(code: str, name: str | None = None, **extra) -> Area:
    """An area by code; the level follows from the code's length, the parent must exist."""
    level = {len_: lvl for lvl, len_ in Area.CODE_LENGTH.items()}[len(code)]
    parent = None if level == Area.Level.DISTRICT else Area.objects.get(code=code[:-3])
    return Area.objects.create(
        code=code, name=name or f"区域{code}", level=level, parent=parent, **extra
    )


def post(user, area_obj: Area, role: str, **extra) -> Posting:
    if role == Posting.Role.ASSISTANT:
        extra.setdefault("assistant_kind", Posting.AssistantKind.RESIDENT_REP)
    return Posting.objects.create(user=user, area=area_obj, role=role, **extra)
