"""Fill the database with the demo bureau and print how to log in."""

import os
from dataclasses import fields, replace

from django.core.management.base import BaseCommand, CommandError

from demo.assessments import seed_assessments
from demo.history import seed_history
from demo.logins import extra_logins
from demo.members import seed_organisation
from demo.scale.build import seed_scale
from demo.scale.common import SCALES as SCALE_SPECS
from demo.scale.common import Sizes
from demo.training import seed_lessons
from demo.tree import seed_general_branch


def seed_county(*, stdout=None) -> dict:
    """Build the demo bureau, then its lessons."""
    summary = seed_organisation(stdout=stdout)
    _add_general_branch(summary)
    summary["lessons"] = seed_lessons()["lessons"]
    seed_history()
    seed_assessments()
    summary["logins"] = summary["logins"] + extra_logins()
    return summary


def _add_general_branch(summary: dict) -> None:
    # The 党总支 with two branches and its secretary's login (demo/tree.py).
    tree = seed_general_branch()
    summary["organisations"] += tree["organisations"]
    summary["branches"] += tree["organisations"] - 1
    summary["members"] += tree["members"]
    for kind, count in tree["created"].items():
        summary["created"][kind] = summary["created"].get(kind, 0) + count
    summary["logins"].append(tree["login"])


def seed_city(*, stdout=None, **sizes) -> dict:
    """About 400 branches and 12,000 members with two years of records, for benchmarks."""
    return seed_scale("city", stdout=stdout, **sizes)


def seed_province(*, stdout=None, **sizes) -> dict:
    """Ten times city (4,000 branches, 120,000 members); built only on request."""
    return seed_scale("province", stdout=stdout, **sizes)


# Each scale maps to the function that builds it.
SCALES = {"county": seed_county, "city": seed_city, "province": seed_province}
# Scales that take minutes report their progress and timings at the default verbosity.
LARGE_SCALES = {"city", "province"}


class Command(BaseCommand):
    help = "生成演示数据：虚构的云溪县交通运输局党组织、党员和演示账号（可重复运行）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale",
            choices=sorted(SCALES),
            default="county",
            help=(
                "演示数据规模（默认 county：一个县局；city：约 400 个支部、1.2 万名党员、两年记录，"
                "用于性能测试；province：city 的十倍，仅按需构建）。"
            ),
        )
        parser.add_argument(
            "--port",
            type=int,
            # scripts/run-dev.sh serves on $PORT (8000 when unset): print the
            # address that will actually answer.
            default=int(os.environ.get("PORT") or 8000),
            help="打印的访问地址所用端口（默认读取环境变量 PORT，与 scripts/run-dev.sh 一致；未设置时为 8000）。",
        )

        parser.add_argument(
            "--sizes",
            default="",
            help=(
                "仅用于 city / province：覆盖预设规模，如 branches=4,members_per_branch=5,months=3"
                "（小规模试建，形状与完整规模相同）。"
            ),
        )

    def handle(self, *args, scale, verbosity, port, sizes, **options):
        """Seed the chosen scale and print a summary in Chinese."""
        overrides = _sizes(sizes, scale)
        progress = verbosity > 1 or (verbosity == 1 and scale in LARGE_SCALES)
        summary = SCALES[scale](stdout=self.stdout if progress else None, **overrides)
        if verbosity < 1:
            return
        created = summary["created"]
        write = self.stdout.write
        write(self.style.SUCCESS("演示数据已就绪。"))
        write(
            f"党组织 {summary['organisations']} 个（其中党支部 {summary['branches']} 个），"
            f"活动场所 {summary['venues']} 处，党员 {summary['members']} 名，"
            f"登录账号 {summary['users']} 个。"
        )
        if created:
            write(
                "本次新建："
                + "，".join(f"{label} {created[kind]}" for kind, label in _LABELS.items() if kind in created)
            )
        else:
            write("数据已存在，本次未新建任何记录。")
        write(f"访问地址：http://127.0.0.1:{port}/")
        write("")
        rows = [("用户名", "密码", "角色", "对应党员")] + [
            (login["username"], login["password"], login["role"], login["member"] or "—") for login in summary["logins"]
        ]
        widths = [max(_width(row[i]) for row in rows) for i in range(len(rows[0]))]
        for row in rows:
            write("  ".join(_pad(cell, width) for cell, width in zip(row, widths, strict=True)).rstrip())


def _sizes(text: str, scale: str) -> dict:
    """Parse --sizes ("branches=4,months=3") into Sizes overrides, refusing names Sizes does not have."""
    if not text.strip():
        return {}
    if scale not in LARGE_SCALES:
        raise CommandError(f"--sizes 只适用于 {' / '.join(sorted(LARGE_SCALES))} 规模。")
    known = {f.name: f.type for f in fields(Sizes)}
    overrides = {}
    for part in text.split(","):
        name, _sep, value = part.strip().partition("=")
        if name not in known or not value:
            raise CommandError(f"无法识别的规模参数：{part.strip()}（可用：{', '.join(known)}）")
        try:
            overrides[name] = float(value) if "float" in str(known[name]) else int(value)
        except ValueError as exc:
            raise CommandError(f"规模参数 {name} 的值不是数字：{value}") from exc
    try:
        replace(SCALE_SPECS[scale].sizes, **overrides)
    except ValueError as exc:
        raise CommandError("规模参数不合理：至少一个支部、每个支部至少五名党员、记录 1–36 个月。") from exc
    return overrides


_LABELS = {
    "branches": "党组织",
    "venues": "活动场所",
    "members": "党员",
    "memberships": "组织关系",
    "posts": "支委职务",
    "users": "账号",
}


def _width(text: str) -> int:
    # CJK characters take two columns in a terminal.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
