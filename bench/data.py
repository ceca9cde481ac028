"""Plausible visitor identities for the benchmark, from a seeded random source.

Pure Python and deterministic: the same seed gives the same people, so a search
term picked in one run finds the same rows in the next. The mix (Chinese names
in characters and in pinyin, foreign names, Chinese and foreign companies and
phone numbers) is what the visitor log's search has to cope with.
"""

import random

# Bump when the shape of the generated history changes: a saved database made
# by another version is then regenerated instead of reused.
GENERATOR_VERSION = 1

SURNAMES = [
    ("王", "Wang"), ("李", "Li"), ("张", "Zhang"), ("刘", "Liu"), ("陈", "Chen"), ("杨", "Yang"),
    ("黄", "Huang"), ("赵", "Zhao"), ("吴", "Wu"), ("周", "Zhou"), ("徐", "Xu"), ("孙", "Sun"),
    ("马", "Ma"), ("朱", "Zhu"), ("胡", "Hu"), ("郭", "Guo"), ("何", "He"), ("高", "Gao"),
    ("林", "Lin"), ("罗", "Luo"), ("郑", "Zheng"), ("梁", "Liang"), ("谢", "Xie"), ("宋", "Song"),
    ("唐", "Tang"), ("韩", "Han"), ("冯", "Feng"), ("邓", "Deng"), ("曹", "Cao"), ("彭", "Peng"),
    ("曾", "Zeng"), ("萧", "Xiao"), ("田", "Tian"), ("董", "Dong"), ("潘", "Pan"), ("袁", "Yuan"),
]  # fmt: skip

GIVEN = [
    ("伟", "Wei"), ("芳", "Fang"), ("娜", "Na"), ("敏", "Min"), ("静", "Jing"), ("丽", "Li"),
    ("强", "Qiang"), ("磊", "Lei"), ("军", "Jun"), ("洋", "Yang"), ("勇", "Yong"), ("艳", "Yan"),
    ("杰", "Jie"), ("娟", "Juan"), ("涛", "Tao"), ("明", "Ming"), ("超", "Chao"), ("霞", "Xia"),
    ("平", "Ping"), ("刚", "Gang"), ("华", "Hua"), ("建", "Jian"), ("晓", "Xiao"), ("子", "Zi"),
    ("涵", "Han"), ("雨", "Yu"), ("桐", "Tong"), ("浩", "Hao"), ("然", "Ran"), ("思", "Si"),
    ("远", "Yuan"), ("嘉", "Jia"), ("怡", "Yi"), ("欣", "Xin"), ("宇", "Yu"), ("辰", "Chen"),
    ("俊", "Jun"), ("婷", "Ting"), ("琳", "Lin"), ("鹏", "Peng"), ("斌", "Bin"), ("凯", "Kai"),
]  # fmt: skip

FIRST_NAMES = [
    "James", "Maria", "Hans", "Anna", "Kenji", "Yuki", "Pierre", "Sofia", "David", "Emma", "Lucas",
    "Olga", "Ahmed", "Fatima", "Carlos", "Ingrid", "Mateo", "Priya", "Arjun", "Chloe", "Liam", "Noah",
    "Elena", "Marco", "Sven", "Hiroshi", "Aiko", "Jean", "Claire", "Omar", "Leila", "Tom", "Grace",
    "Felix", "Nina", "Paolo", "Rosa", "Viktor", "Amara", "Mei",
]  # fmt: skip

LAST_NAMES = [
    "Müller", "Rossi", "Tanaka", "Smith", "Johnson", "Dubois", "García", "Silva", "Kowalski",
    "Nakamura", "Schmidt", "Novak", "Jensen", "Ivanova", "Patel", "Kim", "Nguyen", "O'Brien",
    "Andersen", "Costa", "Weber", "Fischer", "Moreau", "Sato", "Lopez", "Bergmann", "Yamamoto",
    "Hoffmann", "Laurent", "Romano", "Petrov", "Larsen", "Haddad", "Okafor", "Svensson", "Becker",
    "Martin", "Ferrari", "Suzuki", "Walsh",
]  # fmt: skip

CN_COMPANY_HEADS = [
    "华信", "长城", "东方", "中科", "金源", "新世纪", "天宇", "宏达", "恒通", "海星", "博远", "瑞丰",
    "鼎盛", "立信", "嘉禾", "万通", "星河", "远航", "汇丰源", "盛世", "明德", "创维", "光华", "永泰",
]  # fmt: skip
CN_COMPANY_TRADES = [
    "贸易", "科技", "物流", "建设", "咨询", "电子", "医药", "食品", "能源", "传媒", "机械", "环保",
]  # fmt: skip
COMPANY_TRADES = [
    "Industries", "Logistics", "Design", "Consulting", "Systems", "Partners", "Trading", "Pharma",
    "Engineering", "Media", "Foods", "Energy", "Robotics", "Capital",
]  # fmt: skip
COMPANY_FORMS = ["GmbH", "Ltd", "Inc.", "S.p.A.", "K.K.", "AG", "LLC", "S.A.", ""]

PURPOSES = [
    "Business meeting", "Quarterly review", "Job interview", "Delivery of documents", "Product demonstration",
    "Contract signing", "Site inspection", "Maintenance visit", "Training session", "Audit",
    "Partnership talks", "Customer support", "Recruitment fair", "Government inspection",
]  # fmt: skip


class People:
    """Draws names, companies and phones; one instance per generation run."""

    def __init__(self, seed: int = 7):
        self.rng = random.Random(seed)

    def full_name(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.75:
            surname = rng.choice(SURNAMES)
            given = [rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.35 else 2)]
            if roll < 0.5:
                return surname[0] + "".join(g[0] for g in given)
            return f"{surname[1]} {''.join(g[1] for g in given)}"
        return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"

    def company(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.2:
            return ""
        if roll < 0.6:
            return f"{rng.choice(CN_COMPANY_HEADS)}{rng.choice(CN_COMPANY_TRADES)}有限公司"
        form = rng.choice(COMPANY_FORMS)
        return f"{rng.choice(LAST_NAMES)} {rng.choice(COMPANY_TRADES)} {form}".strip()

    def phone(self) -> str:
        rng = self.rng
        if rng.random() < 0.85:
            return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"
        country = rng.choice(["+49 30", "+39 06", "+81 3", "+44 20", "+33 1", "+1 415"])
        return f"{country} {rng.randrange(10**7):07d}"

    def purpose(self) -> str:
        return self.rng.choice(PURPOSES)


def badge_code(n: int) -> str:
    """A unique 8-character badge code for the n-th generated visit.

    Multiplying by an odd constant modulo 32**8 is a bijection, so codes never
    collide yet do not look sequential; the alphabet is the app's own.
    """
    from visitors.models import CODE_ALPHABET

    value = (n * 0x9E3779B1) % (32**8)
    chars = []
    for _ in range(8):
        value, digit = divmod(value, 32)
        chars.append(CODE_ALPHABET[digit])
    return "".join(chars)
