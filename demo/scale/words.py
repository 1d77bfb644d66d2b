"""Word lists the scale build draws names, topics and texts from."""

from training.models import (
    Lesson,
)

# --- word lists ------------------------------------------------------------

AREAS = (
    "东城区",
    "西城区",
    "南湖区",
    "北山区",
    "高新区",
    "临江县",
    "青石县",
    "云台县",
    "白水县",
    "松林县",
    "安平县",
    "桃源县",
    "龙泉县",
    "长宁县",
    "清河县",
    "永丰县",
    "石门县",
    "红岩县",
    "金沙县",
    "丰乐县",
)
UNITS = (
    "交通运输局",
    "公路事业发展中心",
    "道路运输服务中心",
    "交通运输综合行政执法大队",
    "公路养护中心",
    "交通建设工程质量监督站",
    "港航管理站",
    "农村公路管理所",
    "客运站",
    "交通运输规划研究所",
    "交通应急指挥中心",
    "物流发展服务中心",
)
DEPARTMENTS = (
    "办公室",
    "人事科",
    "财务科",
    "规划科",
    "建设科",
    "安全科",
    "养护一队",
    "养护二队",
    "路政科",
    "运政科",
    "法制科",
    "信息中心",
    "应急队",
    "质检科",
    "综合科",
)
JOB_POSTS = ("科员", "一级科员", "四级主任科员", "副科长", "工程师", "助理工程师", "执法队员", "会计", "驾驶员")
SECRETARY_JOBS = ("科长", "副主任", "队长", "站长", "所长")
EXPERTISE = ("公文写作", "党务工作", "道路工程", "桥梁养护", "安全生产", "行政执法", "法律", "财务管理", "信息化")
CN_DIGITS = "零一二三四五六七八九"

STUDY_TOPICS = (
    "学习贯彻党的二十大精神",
    "《中国共产党章程》",
    "《中国共产党纪律处分条例》",
    "习近平新时代中国特色社会主义思想",
    "党史学习教育",
    "新时代交通强国建设",
    "作风建设与群众路线",
    "安全生产责任制",
    "优化营商环境",
    "乡村振兴与农村公路",
    "廉洁自律准则",
    "意识形态工作责任制",
    "依法行政与执法规范",
    "基层党组织建设",
    "总体国家安全观",
    "生态文明建设",
)
LESSON_KINDS = (
    # (kind, weight, format, title prefix)
    (Lesson.Kind.CENTRAL_STUDY, 20, Lesson.Format.LECTURE, "集中学习"),
    (Lesson.Kind.PARTY_LESSON, 12, Lesson.Format.LECTURE, "专题党课"),
    (Lesson.Kind.THEME_DAY, 14, Lesson.Format.INTERACTIVE, "主题党日"),
    (Lesson.Kind.MEMBERS_MEETING, 8, Lesson.Format.SEMINAR, "党员大会"),
    (Lesson.Kind.COMMITTEE_MEETING, 8, Lesson.Format.SEMINAR, "支委会"),
    (Lesson.Kind.GROUP_MEETING, 6, Lesson.Format.SEMINAR, "党小组会"),
    (Lesson.Kind.ORG_LIFE_MEETING, 3, Lesson.Format.SEMINAR, "组织生活会"),
    (Lesson.Kind.SEMINAR, 6, Lesson.Format.SEMINAR, "专题研讨"),
    (Lesson.Kind.RED_FILM, 5, Lesson.Format.INTERACTIVE, "红色电影"),
    (Lesson.Kind.EXPERT_LECTURE, 5, Lesson.Format.LECTURE, "专家讲座"),
    (Lesson.Kind.OFFSITE_VISIT, 4, Lesson.Format.FIELD, "现场教学"),
    (Lesson.Kind.BOOK_SHARING, 5, Lesson.Format.INTERACTIVE, "读书分享"),
    (Lesson.Kind.ONLINE_COURSE, 4, Lesson.Format.ONLINE, "网络课程"),
)
KIND_PREFIX = {kind: prefix for kind, _w, _f, prefix in LESSON_KINDS}
KIND_FORMAT = {kind: fmt for kind, _w, fmt, _p in LESSON_KINDS}
MEETINGS = frozenset(
    {
        Lesson.Kind.MEMBERS_MEETING,
        Lesson.Kind.COMMITTEE_MEETING,
        Lesson.Kind.GROUP_MEETING,
        Lesson.Kind.ORG_LIFE_MEETING,
    }
)
LESSON_HOURS = ("1", "1.5", "2", "2", "2", "2.5", "3", "4")
OUTSIDE_PLACES = ("市革命烈士纪念馆", "红军长征纪念馆", "市廉政教育基地", "交通运输发展成就展馆", "乡村振兴示范村")
OUTSIDE_LECTURERS = (
    ("林思远", "中共青岚市委党校", "教授", "党史,党章党规"),
    ("宋雅琴", "中共青岚市委党校", "副教授", "理论宣讲"),
    ("郭振华", "青岚交通职业技术学院", "教授", "交通运输管理"),
    ("邓晓梅", "市纪委监委宣传部", "", "廉政教育"),
    ("唐国栋", "青岚大学马克思主义学院", "副教授", "马克思主义理论"),
    ("钟立新", "市应急管理局", "高级工程师", "安全生产"),
)
LEAVE_REASONS = ("出差", "病假", "值班", "外出执法", "参加培训", "家中有事")
NOTE_SENTENCES = (
    "通过这次学习，我对党的创新理论有了更加系统的认识。",
    "作为一名交通运输系统的党员，要把学习成果转化为推动工作的实际行动。",
    "结合本职岗位，我认真查找了自身在工作作风方面存在的差距。",
    "要始终坚持以人民为中心的发展思想，办好群众身边的交通实事。",
    "学习中我深刻体会到，纪律是党的生命线，必须严守纪律规矩。",
    "今后要进一步增强安全意识，守牢安全生产底线。",
    "我将继续加强理论学习，做到学思用贯通、知信行统一。",
    "在学习过程中，我重点研读了原文，并做了摘抄和批注。",
    "支部组织的讨论让我受益匪浅，同志们的发言给了我很多启发。",
    "要发挥党员先锋模范作用，在急难险重任务面前冲锋在前。",
    "农村公路建设关系群众出行，我们要把好事办好、实事办实。",
    "我认识到理论学习不能停留在表面，必须入脑入心。",
    "下一步，我将对照党章党规，经常检视自己的言行。",
    "要把学习成效体现在提升服务质量和办事效率上。",
    "我将把这次学习的收获运用到项目管理和日常工作中去。",
    "只有不断学习，才能跟上新时代交通运输发展的步伐。",
)
REVIEW_COMMENTS = {
    "excellent": "体会深刻，联系实际紧密。",
    "good": "内容完整，可再结合本职工作谈谈打算。",
    "pass": "请进一步深化认识。",
    "returned": "请补充学习原文的要点，并结合岗位实际谈体会。",
}
ONLINE_COURSES = tuple(f"{topic}（第{CN_DIGITS[n]}讲）" for topic in STUDY_TOPICS for n in (1, 2, 3))
ASSIGNMENT_READING = (
    "《习近平谈治国理政》第四卷",
    "《中国共产党简史》",
    "《论党的自我革命》",
    "《中国共产党纪律处分条例》",
    "《交通强国建设纲要》",
    "《习近平关于调查研究论述摘编》",
)


_KIND_WEIGHTS = tuple((kind, weight) for kind, weight, _f, _p in LESSON_KINDS)
_KIND_WEIGHTS_NO_COMMITTEE = tuple((k, w) for k, w in _KIND_WEIGHTS if k != Lesson.Kind.COMMITTEE_MEETING)
