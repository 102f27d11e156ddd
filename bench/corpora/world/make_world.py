#!/usr/bin/env python3
"""Generate the `world` corpus: two invented worlds of people and organisations.

Standard library only, seeded and deterministic: running it rewrites
`dev/` (world seed 1) and `heldout/` (world seed 2) identically every time.

    python bench/corpora/world/make_world.py

Each article is about one person or one organisation and states its relations
in plain sentences. Sentence templates marked HELDOUT are never used in the
dev world, so rules tuned on dev meet unseen wordings in heldout.
"""

import json
import os
import random
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))

# ---------------------------------------------------------------- names

ONSETS = [
    "b",
    "br",
    "c",
    "d",
    "dr",
    "f",
    "g",
    "gr",
    "h",
    "k",
    "l",
    "m",
    "n",
    "p",
    "r",
    "s",
    "st",
    "t",
    "th",
    "v",
    "w",
    "z",
    "j",
    "sh",
    "tr",
    "cl",
]
VOWELS = ["ai", "ea", "ei", "ou", "au", "ae"]
CODAS = ["", "", "", "n", "l", "r", "s", "m", "th", "nd", "rt", "v", "k"]
FEMALE_END = ["a", "ia", "elle", "ine", "wen", "ette", "ara", "ys", "ina", "eth"]
MALE_END = ["o", "an", "en", "ar", "ric", "us", "el", "as", "ik", "on"]
SURNAME_END = [
    "ley",
    "mont",
    "ric",
    "vac",
    "dell",
    "wick",
    "sen",
    "ard",
    "ow",
    "ane",
    "rin",
    "ton",
    "by",
    "holt",
    "mer",
]
CITY_END = ["ford", "mere", "holm", "by", "stead", "vell", "dun", "port", "wick", "gate", "moor", "ness"]

INDUSTRIES = {
    # industry: (name suffix, occupations)
    "shipbuilding": ("Yards", ["shipwright", "rigger", "welder", "draughtsman"]),
    "textiles": ("Mills", ["weaver", "dyer", "spinner", "loom tuner"]),
    "brewing": ("Brewery", ["brewer", "cooper", "maltster", "drayman"]),
    "printing": ("Press", ["typesetter", "printer", "bookbinder", "proofreader"]),
    "glassmaking": ("Glassworks", ["glassblower", "glass cutter", "furnace keeper"]),
    "shipping": ("Lines", ["deckhand", "pilot", "purser", "harbour clerk"]),
    "insurance": ("Assurance", ["actuary", "underwriter", "claims assessor"]),
    "timber": ("Timber", ["sawyer", "forester", "joiner"]),
    "ropemaking": ("Ropeworks", ["ropemaker", "spinner", "tar boiler"]),
    "mining": ("Mining Company", ["miner", "surveyor", "blaster", "winding engineer"]),
    "banking": ("Bank", ["teller", "loan officer", "auditor"]),
    "clockmaking": ("Clockworks", ["clockmaker", "engraver", "gear cutter"]),
}
GENERAL_OCCUPATIONS = ["accountant", "bookkeeper", "driver", "secretary", "electrician"]
HOBBIES = [
    "chess",
    "falconry",
    "beekeeping",
    "birdwatching",
    "rowing",
    "fencing",
    "archery",
    "kite flying",
    "fly fishing",
    "bell ringing",
    "orienteering",
    "calligraphy",
    "stargazing",
    "choir singing",
    "sea swimming",
    "woodcarving",
    "gardening",
    "cycling",
    "rock climbing",
    "embroidery",
    "model railways",
    "origami",
    "watercolour painting",
    "sailing",
    "cross-country running",
]


class Namer:
    VOW = "aeiou"

    def __init__(self, rng):
        self.rng = rng
        self.used = set()

    def _syl(self, coda=True):
        r = self.rng
        v = r.choice(VOWELS) if r.random() < 0.25 else r.choice(self.VOW)
        return r.choice(ONSETS) + v + (r.choice(CODAS) if coda else "")

    def _join(self, stem, end):
        if stem[-1] in self.VOW and end[0] in self.VOW:
            stem += self.rng.choice("lnrsd")
        return stem + end

    def _fresh(self, make, lo=4, hi=9):
        for _ in range(5000):
            w = make()
            w = w[0].upper() + w[1:]
            if lo <= len(w) <= hi and w.lower() not in self.used:
                self.used.add(w.lower())
                return w
        raise RuntimeError("name space exhausted")

    def given(self, gender):
        end = FEMALE_END if gender == "f" else MALE_END
        return self._fresh(lambda: self._join(self._syl(), self.rng.choice(end)), 4, 8)

    def surname(self):
        r = self.rng
        return self._fresh(
            lambda: self._join(
                self._syl() + (self._syl(False) if r.random() < 0.3 else ""), r.choice(SURNAME_END)
            ),
            5,
            10,
        )

    def city(self):
        return self._fresh(lambda: self._join(self._syl(), self.rng.choice(CITY_END)), 5, 9)


# ---------------------------------------------------------------- world


class Person:
    def __init__(self, given, surname, gender, born, gen):
        self.given, self.surname, self.gender, self.born, self.gen = given, surname, gender, born, gen
        self.name = f"{given} {surname}"
        self.father = self.mother = self.spouse = None
        self.siblings = []
        self.employer = None
        self.occupation = None
        self.hobby = None
        self.birthplace = None
        self.kind = "person"

    @property
    def sisters(self):
        return [s for s in self.siblings if s.gender == "f"]

    @property
    def brothers(self):
        return [s for s in self.siblings if s.gender == "m"]


class Org:
    def __init__(self, name, industry):
        self.name, self.industry = name, industry
        self.founder = self.founded = self.hq = None
        self.kind = "org"


def build_world(seed, n_families, n_orgs):
    rng = random.Random(seed)
    nm = Namer(rng)
    cities = [nm.city() for _ in range(10)]
    people = []

    def person(gender, surname, born, gen):
        p = Person(nm.given(gender), surname, gender, born, gen)
        p.hobby = rng.choice(HOBBIES)
        people.append(p)
        return p

    def children_of(father, mother, gen, lo, hi, latest):
        n = rng.randint(lo, hi)
        kids, counts = [], {"f": 0, "m": 0}
        year = max(father.born, mother.born) + rng.randint(20, 27)
        for _ in range(n):
            g = rng.choice("fm")
            if counts[g] == 3:
                g = "m" if g == "f" else "f"
            if counts[g] == 3 or year > latest:
                break
            counts[g] += 1
            k = person(g, father.surname, year, gen)
            k.father, k.mother = father, mother
            k.birthplace = father.birthplace if rng.random() < 0.5 else rng.choice(cities)
            kids.append(k)
            year += rng.randint(1, 4)
        for k in kids:
            k.siblings = [s for s in kids if s is not k]
        return kids

    def marry(a, b):
        a.spouse, b.spouse = b, a

    # generation 0: founding couples
    gen1 = []
    for _ in range(n_families):
        sur = nm.surname()
        h = person("m", sur, rng.randint(1915, 1932), 0)
        w = person("f", nm.surname(), h.born + rng.randint(-3, 4), 0)
        h.birthplace, w.birthplace = rng.choice(cities), rng.choice(cities)
        marry(h, w)
        gen1 += children_of(h, w, 1, 2, 5, 1965)
    # generation 1 marriages: across families first, then outsiders
    men = [p for p in gen1 if p.gender == "m"]
    women = [p for p in gen1 if p.gender == "f"]
    rng.shuffle(men)
    rng.shuffle(women)
    couples = []
    for m in men:
        for w in women:
            if w.spouse is None and w.father is not m.father and rng.random() < 0.5:
                marry(m, w)
                couples.append((m, w))
                break
    for p in list(gen1):
        if p.spouse is None and rng.random() < 0.6:
            g = "f" if p.gender == "m" else "m"
            o = person(g, nm.surname() if g == "m" else nm.surname(), p.born + rng.randint(-4, 4), 1)
            o.birthplace = rng.choice(cities)
            marry(p, o)
            couples.append((p, o) if p.gender == "m" else (o, p))
    for h, w in couples:
        children_of(h, w, 2, 0, 3, 1996)

    # organisations
    orgs = []
    inds = list(INDUSTRIES)
    rng.shuffle(inds)
    candidates = [p for p in people if p.gen < 2]
    rng.shuffle(candidates)
    for i in range(n_orgs):
        ind = inds[i % len(inds)]
        suffix = INDUSTRIES[ind][0]
        word = nm.surname() if rng.random() < 0.5 else nm.city()
        o = Org(f"{word} {suffix}", ind)
        o.founder = candidates[i]
        o.founded = min(2015, o.founder.born + rng.randint(24, 45))
        o.hq = rng.choice(cities)
        orgs.append(o)
    # employment: everyone gets an employer and an occupation fitting it (mostly)
    for p in people:
        if rng.random() < 0.06:
            continue  # a few people have no stated employer
        o = rng.choice(orgs)
        p.employer = o
        occs = INDUSTRIES[o.industry][1]
        p.occupation = rng.choice(occs) if rng.random() < 0.8 else rng.choice(GENERAL_OCCUPATIONS)
    return people, orgs, cities


# ---------------------------------------------------------------- templates
# Each template: (text, heldout_only, subject_first). Tokens:
#   {S}  the article entity as sentence subject: full name, or He/She/It
#   {Pos} sentence-initial possessive: "X's", or His/Her/Its
#   {N}  the full name, always
#   {pos} {p} lower-case possessive / pronoun referring back to the entity
#   {V}  the value (a person, city, year, occupation, hobby, organisation)
# subject_first marks sentences whose grammatical subject is the entity, after
# which a pronoun sentence may follow.
D, H = False, True

PERSON_T = {
    "father": [
        ("The father of {N} is {V}.", D, False),
        ("{Pos} father is {V}.", D, False),
        ("{V} is the father of {N}.", D, False),
        ("{N} is {V}'s {child}.", H, True),
        ("{S} was raised by {pos} father, {V}.", H, True),
    ],
    "mother": [
        ("The mother of {N} is {V}.", D, False),
        ("{Pos} mother is {V}.", D, False),
        ("{V} is the mother of {N}.", D, False),
        ("{V} is {N}'s mother.", H, False),
        ("{S} takes after {pos} mother, {V}.", H, True),
    ],
    "parents": [
        ("{S} is the {child} of {F} and {M}.", D, True),
        ("{F} and {M} are the parents of {N}.", H, False),
    ],
    # set relations: {L} the list, {n} a number word, {w} sister/sisters
    "sister": [
        ("The {w} of {N} {be} {L}.", D, False),
        ("{S} has {n} {w}, {L}.", D, True),
        ("{L} {be} {N}'s {w}.", D, False),
        ("{S} grew up alongside {n} {w}, {L}.", H, True),
        ("{Pos} {w} {be} called {L}.", H, False),
    ],
    "brother": [
        ("The {w} of {N} {be} {L}.", D, False),
        ("{S} has {n} {w}, {L}.", D, True),
        ("{L} {be} {N}'s {w}.", D, False),
        ("{S} grew up alongside {n} {w}, {L}.", H, True),
        ("{Pos} {w} {be} called {L}.", H, False),
    ],
    "spouse": [
        ("{S} is married to {V}.", D, True),
        ("{Pos} {sw} is {V}.", D, False),
        ("{N} and {V} are married.", D, True),
        ("{S} is the {selfw} of {V}.", D, True),
        ("{S} married {V}.", H, True),
        ("{V} and {N} are a married couple.", H, False),
    ],
    "employer+occupation": [
        ("{S} works for {Q} as {aocc}.", D, True),
        ("{S} is {aocc} at {Q}.", D, True),
        ("{Q} employs {N} as {aocc}.", D, False),
        ("{S} works at {Q} as {aocc}.", D, True),
        ("{S} earns a living as {aocc} with {Q}.", H, True),
        ("{Aocc} by trade, {N} is on the staff of {Q}.", H, True),
    ],
    "employer": [
        ("{S} is employed by {Q}.", D, True),
        ("{Pos} employer is {Q}.", D, False),
        ("{S} draws a salary from {Q}.", H, True),
    ],
    "occupation": [
        ("{S} works as {aocc}.", D, True),
        ("{Pos} occupation is {occ}.", D, False),
        ("{N} is {aocc}.", D, True),
        ("{S} is {aocc} by profession.", H, True),
    ],
    "hobby": [
        ("{Pos} hobby is {V}.", D, False),
        ("{S} enjoys {V} in {pos} spare time.", D, True),
        ("{S} likes {V}.", D, True),
        ("{S} is fond of {V}.", D, True),
        ("{Pos} favourite pastime is {V}.", H, False),
        ("{S} devotes {pos} weekends to {V}.", H, True),
    ],
    "birth": [
        ("{S} was born in {Y} in {C}.", D, True),
        ("{S} was born in {C} in {Y}.", D, True),
        ("{S} is a native of {C}, where {p} was born in {Y}.", H, True),
    ],
    "birth year": [("{S} was born in {Y}.", D, True), ("{N} came into the world in {Y}.", H, True)],
    "birthplace": [
        ("{S} was born in {C}.", D, True),
        ("{Pos} birthplace is {C}.", D, False),
        ("{S} comes from {C}.", D, True),
        ("{C} is the birthplace of {N}.", H, False),
        ("{S} hails from {C}.", H, True),
    ],
}
ORG_T = {
    "founder+year": [
        ("{S} was founded by {F} in {Y}.", D, True),
        ("{F} founded {Q} in {Y}.", D, False),
        ("{Q} dates from {Y}, when {F} established it.", H, True),
        ("{F} set up {Q} in {Y}.", H, False),
    ],
    "founder": [
        ("{F} founded {Q}.", D, False),
        ("The founder of {Q} is {F}.", D, False),
        ("{S} was founded by {F}.", D, True),
        ("{F} is the founder of {Q}.", D, False),
        ("{Q} owes its existence to {F}.", H, True),
        ("{S} was started by {F}.", H, True),
    ],
    "founding year": [
        ("{S} was founded in {Y}.", D, True),
        ("{Q} has existed since {Y}.", D, True),
        ("{S} was established in {Y}.", D, True),
        ("{S} opened its doors in {Y}.", H, True),
    ],
    "headquarters": [
        ("{S} is based in {C}.", D, True),
        ("{S} has its headquarters in {C}.", D, True),
        ("The headquarters of {Q} are in {C}.", D, False),
        ("{S} is headquartered in {C}.", D, True),
        ("{S} operates out of {C}.", H, True),
        ("{Pos} head office is in {C}.", H, False),
    ],
    "industry": [
        ("{S} is {aind} company.", D, True),
        ("{S} works in the {ind} industry.", D, True),
        ("{S} operates in {ind}.", D, True),
        ("{S} makes its money in {ind}.", H, True),
        ("{S} belongs to the {ind} trade.", H, True),
    ],
}
PERSON_FILLER = [
    ("{S} is known for a dry sense of humour.", D, True),
    ("Neighbours describe {o} as patient and careful.", D, False),
    ("{S} keeps a small garden behind the house.", H, True),
    ("Friends say {p} rarely misses a meeting.", H, False),
]
ORG_FILLER = [
    ("{S} publishes a short report every year.", D, True),
    ("Its staff meet each spring for a dinner.", H, False),
]

CUES = {
    "father": ["father", "parent"],
    "mother": ["mother", "parent"],
    "sister": ["sister", "sibling"],
    "brother": ["brother", "sibling"],
    "spouse": ["spouse", "husband", "wife", "marry", "married"],
    "employer": ["work", "employer", "employ"],
    "occupation": ["occupation", "job", "work", "profession"],
    "hobby": ["hobby", "pastime"],
    "birth year": ["born", "birth", "year"],
    "birthplace": ["born", "birth", "birthplace"],
    "founder": ["found", "founder", "establish"],
    "founding year": ["found", "founded", "establish", "year"],
    "headquarters": ["headquarter", "base", "located", "locate"],
    "industry": ["industry", "sector", "business"],
}
NUMS = {1: "one", 2: "two", 3: "three"}


def article_an(w):
    return ("an " if w[0] in "aeiou" else "a ") + w


def join_list(names):
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def template_inventory():
    rows = []
    for table, kind in ((PERSON_T, "person"), (ORG_T, "org")):
        for rel, ts in table.items():
            for t, h, _ in ts:
                rows.append((kind, rel, t, h))
    return rows


# ---------------------------------------------------------------- articles


def fname(entity):
    return entity.name.lower().replace(" ", "_").replace("'", "") + ".md"


class Writer:
    def __init__(self, rng, heldout):
        self.rng, self.heldout = rng, heldout
        self.n_sentences = self.n_reserved = 0

    def pick(self, ts):
        avail = [t for t in ts if self.heldout or not t[1]]
        if self.heldout:
            reserved = [t for t in avail if t[1]]
            if reserved and self.rng.random() < 0.4:
                return self.rng.choice(reserved)
        return self.rng.choice(avail)

    def render(self, tmpl, ent, slots, use_pronoun):
        text, _, _ = tmpl
        if ent.kind == "person":
            pro, pos = ("She", "Her") if ent.gender == "f" else ("He", "His")
        else:
            pro, pos = "It", "Its"
        S, Pos = (pro, pos) if use_pronoun else (ent.name, ent.name + "'s")
        vals = dict(
            S=S,
            Pos=Pos,
            N=ent.name,
            pos=pos.lower(),
            p=pro.lower(),
            o={"She": "her", "He": "him", "It": "it"}[pro],
        )
        vals.update(slots)
        out = text.format(**vals)
        return out[0].upper() + out[1:]

    def article(self, ent, units):
        """units: list of (templates, slots, facts). Returns text and gold facts."""
        rng = self.rng
        rng.shuffle(units)
        # open with a sentence that names the entity as subject
        firsts = [i for i, u in enumerate(units) if any(t[2] for t in u[0] if self.heldout or not t[1])]
        if firsts:
            units.insert(0, units.pop(firsts[0]))
        sentences, gold = [], []
        prev_subject_first = False
        for k, (ts, slots, facts) in enumerate(units):
            if k == 0:
                ts = [t for t in ts if t[2]] or ts
            t = self.pick(ts)
            pron_ok = (
                k > 0
                and prev_subject_first
                and ("{S}" in t[0] or "{Pos}" in t[0])
                and not t[0].startswith("{N}")
                and rng.random() < 0.7
            )
            if t[0].startswith("{Pos}") and pron_ok and ent.kind == "org" and rng.random() < 0.5:
                pron_ok = False
            sentences.append(self.render(t, ent, slots, pron_ok))
            self.n_sentences += 1
            self.n_reserved += t[1]
            prev_subject_first = t[2]
            gold += facts(t) if callable(facts) else facts
        title = f"# {ent.name}\n\n"
        # two or three paragraphs
        paras, cur = [], []
        for s in sentences:
            cur.append(s)
            if len(cur) >= 3 and rng.random() < 0.4:
                paras.append(" ".join(cur))
                cur = []
        if cur:
            paras.append(" ".join(cur))
        return title + "\n\n".join(paras) + "\n", gold


def person_units(p, rng):
    N = p.name

    def fact(rel, v, subj=N):
        return {"subject": subj, "relation": rel, "cues": CUES[rel], "value": v}

    child = "daughter" if p.gender == "f" else "son"
    u = []
    if p.father and p.mother:
        if rng.random() < 0.3:
            u.append(
                (
                    PERSON_T["parents"],
                    dict(child=child, F=p.father.name, M=p.mother.name),
                    [fact("father", p.father.name), fact("mother", p.mother.name)],
                )
            )
        else:
            u.append(
                (PERSON_T["father"], dict(child=child, V=p.father.name), [fact("father", p.father.name)])
            )
            u.append(
                (PERSON_T["mother"], dict(child=child, V=p.mother.name), [fact("mother", p.mother.name)])
            )
    for rel, sibs in (("sister", p.sisters), ("brother", p.brothers)):
        if sibs:
            names = [s.name for s in sibs]
            u.append(
                (
                    PERSON_T[rel],
                    dict(
                        L=join_list(names),
                        n=NUMS[len(names)],
                        w=rel + ("s" if len(names) > 1 else ""),
                        be="are" if len(names) > 1 else "is",
                    ),
                    [fact(rel, x) for x in names],
                )
            )
    if p.spouse:
        sw = "wife" if p.spouse.gender == "f" else "husband"

        def spouse_facts(t, a=p.name, b=p.spouse.name):
            fs = [fact("spouse", b)]
            if " and " in t[0]:  # "X and Y are married": a statement about both
                fs.append(fact("spouse", a, subj=b))
            return fs

        u.append(
            (
                PERSON_T["spouse"],
                dict(V=p.spouse.name, sw=sw, selfw="wife" if p.gender == "f" else "husband"),
                spouse_facts,
            )
        )
    if p.employer:
        occ = dict(
            Q=p.employer.name,
            occ=p.occupation,
            aocc=article_an(p.occupation),
            Aocc=article_an(p.occupation).capitalize(),
        )
        if rng.random() < 0.55:
            u.append(
                (
                    PERSON_T["employer+occupation"],
                    occ,
                    [fact("employer", p.employer.name), fact("occupation", p.occupation)],
                )
            )
        else:
            u.append((PERSON_T["employer"], occ, [fact("employer", p.employer.name)]))
            u.append((PERSON_T["occupation"], occ, [fact("occupation", p.occupation)]))
    u.append((PERSON_T["hobby"], dict(V=p.hobby), [fact("hobby", p.hobby)]))
    by = dict(Y=str(p.born), C=p.birthplace)
    if rng.random() < 0.5:
        u.append((PERSON_T["birth"], by, [fact("birth year", str(p.born)), fact("birthplace", p.birthplace)]))
    else:
        u.append((PERSON_T["birth year"], by, [fact("birth year", str(p.born))]))
        u.append((PERSON_T["birthplace"], by, [fact("birthplace", p.birthplace)]))
    if rng.random() < 0.3:
        u.append((PERSON_FILLER, {}, []))
    return u


def org_units(o, rng):
    N = o.name

    def fact(rel, v):
        return {"subject": N, "relation": rel, "cues": CUES[rel], "value": v}

    s = dict(Q=N, F=o.founder.name, Y=str(o.founded), C=o.hq, ind=o.industry, aind=article_an(o.industry))
    u = []
    if rng.random() < 0.6:
        u.append(
            (
                ORG_T["founder+year"],
                s,
                [fact("founder", o.founder.name), fact("founding year", str(o.founded))],
            )
        )
    else:
        u.append((ORG_T["founder"], s, [fact("founder", o.founder.name)]))
        u.append((ORG_T["founding year"], s, [fact("founding year", str(o.founded))]))
    u.append((ORG_T["headquarters"], s, [fact("headquarters", o.hq)]))
    u.append((ORG_T["industry"], s, [fact("industry", o.industry)]))
    if rng.random() < 0.3:
        u.append((ORG_FILLER, {}, []))
    return u


# ---------------------------------------------------------------- questions

Q1 = {
    "father": [
        "Who is {X}'s father?",
        "Who is the father of {X}?",
        "Name the father of {X}.",
        "Who was {X}'s dad?",
    ],
    "mother": ["Who is {X}'s mother?", "Who is the mother of {X}?", "What is the name of {X}'s mum?"],
    "sister": ["Who are the sisters of {X}?", "Which sisters does {X} have?", "List {X}'s sisters."],
    "brother": [
        "Who are the brothers of {X}?",
        "Which brothers does {X} have?",
        "Name all of {X}'s brothers.",
    ],
    "spouse": ["Who is {X} married to?", "Who is the spouse of {X}?", "Who is {X}'s {sw}?"],
    "employer": ["Which company employs {X}?", "Who does {X} work for?", "Where is {X} employed?"],
    "occupation": ["What does {X} do for a living?", "What is {X}'s job?", "What is the occupation of {X}?"],
    "hobby": [
        "What is {X}'s hobby?",
        "What does {X} do in their free time?",
        "Which pastime does {X} enjoy?",
    ],
    "birth year": [
        "When was {X} born?",
        "In what year was {X} born?",
        "What year did {X} come into the world?",
    ],
    "birthplace": ["Where was {X} born?", "In which city was {X} born?", "What is {X}'s birthplace?"],
    "founder": ["Who founded {X}?", "Who started {X}?", "Who is the founder of {X}?"],
    "headquarters": [
        "Where is {X} based?",
        "Where are {X}'s headquarters?",
        "In which city is {X} headquartered?",
    ],
    "founding year": [
        "When was {X} founded?",
        "In what year was {X} established?",
        "What year was {X} set up?",
    ],
    "industry": [
        "What industry is {X} in?",
        "What line of business is {X} in?",
        "Which sector does {X} work in?",
    ],
}
# noun phrases for an intermediate entity, {i} the inner phrase; "poss" forms only for a bare name
NP = {
    "employer": (
        ["the company {i} works for", "the employer of {i}", "the firm that employs {i}"],
        ["{i}'s employer"],
    ),
    "father": (["the father of {i}"], ["{i}'s father"]),
    "mother": (["the mother of {i}"], ["{i}'s mother"]),
    "spouse": (["the spouse of {i}"], ["{i}'s {sw}"]),
    "founder": (["the founder of {i}", "the person who founded {i}"], []),
}
QN = {  # final relation asked of a noun phrase
    "father": ["Who is the father of {X}?"],
    "mother": ["Who is the mother of {X}?"],
    "sister": ["Who are the sisters of {X}?"],
    "brother": ["Who are the brothers of {X}?"],
    "employer": ["Which company employs {X}?", "Who does {X} work for?"],
    "occupation": ["What does {X} do for a living?", "What is the job of {X}?"],
    "birth year": ["When was {X} born?", "In what year was {X} born?"],
    "birthplace": ["Where was {X} born?", "In which city was {X} born?"],
    "hobby": ["What hobby does {X} have?"],
    "founder": ["Who founded {X}?", "Who set up {X}?"],
    "headquarters": ["Where is {X} based?", "In which city does {X} have its headquarters?"],
    "industry": ["In which industry does {X} operate?", "What industry is {X} in?"],
    "founding year": ["When was {X} founded?"],
    "spouse": ["Who is {X} married to?", "Who is the spouse of {X}?"],
}


def value_of(e, rel):
    """List of answer entities/strings for a relation of an entity."""
    g = getattr
    if rel in ("sister", "brother"):
        return [s.name for s in (e.sisters if rel == "sister" else e.brothers)]
    attr = {
        "birth year": "born",
        "birthplace": "birthplace",
        "founding year": "founded",
        "headquarters": "hq",
    }.get(rel, rel)
    v = g(e, attr, None)
    if v is None:
        return []
    return [v.name if hasattr(v, "name") else str(v)]


def make_questions(rng, people, orgs, n_total):
    ents = {e.name: e for e in people + orgs}
    person_rels = [
        "father",
        "mother",
        "sister",
        "brother",
        "spouse",
        "employer",
        "occupation",
        "hobby",
        "birth year",
        "birthplace",
    ]
    org_rels = ["founder", "headquarters", "founding year", "industry"]
    out, seen = [], set()

    def add(q, answers, hops, docs, key=None):
        key = key or q
        if key in seen or q in seen or not answers:
            return False
        seen.add(key)
        seen.add(q)
        out.append({"question": q, "answers": answers, "hops": hops, "documents": docs})
        return True

    def sw(e):
        return "wife" if getattr(e, "gender", "m") == "f" else "husband"

    n1, n2, n3 = int(n_total * 0.42), int(n_total * 0.30), max(3, int(n_total * 0.1))
    na = n_total - n1 - n2 - n3
    # 1-hop
    tries = 0
    while sum(1 for q in out if q["hops"] == 1) < n1 and tries < 5000:
        tries += 1
        if rng.random() < 0.78:
            e, rel = rng.choice(people), rng.choice(person_rels)
        else:
            e, rel = rng.choice(orgs), rng.choice(org_rels)
        ans = value_of(e, rel)
        if not ans:
            continue
        tpl = rng.choice(Q1[rel])
        other = ents.get(ans[0]) if rel == "spouse" else None
        add(tpl.format(X=e.name, sw=sw(other) if other else "spouse"), ans, 1, [fname(e)], key=(e.name, rel))
    # multi-hop chains: (path of single-valued entity relations, final relation)
    chains2 = [
        (["employer"], "founder"),
        (["employer"], "headquarters"),
        (["mother"], "father"),
        (["father"], "mother"),
        (["employer"], "industry"),
        (["father"], "employer"),
        (["spouse"], "birthplace"),
        (["mother"], "sister"),
        (["spouse"], "occupation"),
        (["employer"], "founding year"),
        (["father"], "birth year"),
    ]
    chains3 = [
        (["employer", "founder"], "birthplace"),
        (["mother", "father"], "employer"),
        (["employer", "founder"], "birth year"),
        (["spouse", "employer"], "founder"),
        (["father", "employer"], "headquarters"),
        (["employer", "founder"], "spouse"),
    ]

    def run_chain(start, path, final):
        e, docs, phrase = start, [fname(start)], start.name
        for k, rel in enumerate(path):
            vs = value_of(e, rel)
            if len(vs) != 1 or vs[0] not in ents:
                return None
            nxt = ents[vs[0]]
            forms, poss = NP[rel]
            choices = forms + (poss if k == 0 else [])
            phrase = rng.choice(choices).format(i=phrase, sw=sw(nxt))
            e = nxt
            if fname(e) not in docs:
                docs.append(fname(e))
        ans = value_of(e, final)
        if not ans:
            return None
        q = rng.choice(QN[final]).format(X=phrase)
        return q[0].upper() + q[1:], ans, docs, (start.name, tuple(path), final)

    for chains, hops, quota in ((chains2, 2, n2), (chains3, 3, n3)):
        tries = 0
        while sum(1 for q in out if q["hops"] == hops) < quota and tries < 5000:
            tries += 1
            path, final = rng.choice(chains)
            r = run_chain(rng.choice(people), path, final)
            if r:
                add(r[0], r[1], hops, r[2], key=r[3])
    # attribute lookups: two constraints that pick out exactly one person
    combos = [
        ("occupation", "father", "Which person works as {a} and has {b} as father?"),
        ("occupation", "father", "Who is the {a} whose father is {b}?"),
        ("hobby", "birthplace", "Which person born in {b} has {a} as a hobby?"),
        ("occupation", "employer", "Who works as {a} at {b}?"),
        ("birth year", "birthplace", "Who was born in {b} in {a}?"),
        ("hobby", "mother", "Whose mother is {b} and whose hobby is {a}?"),
    ]
    tries, n_attr = 0, 0
    while n_attr < na and tries < 5000:
        tries += 1
        ra, rb, tpl = rng.choice(combos)
        p = rng.choice(people)
        a, b = value_of(p, ra), value_of(p, rb)
        if not a or not b:
            continue
        matches = [x for x in people if value_of(x, ra) == a and value_of(x, rb) == b]
        if len(matches) != 1:
            continue
        aa = article_an(a[0]) if ra == "occupation" and "{a} whose" not in tpl else a[0]
        if add(tpl.format(a=aa, b=b[0]), [p.name], 1, [fname(p)]):
            n_attr += 1
    rng.shuffle(out)
    return out


# ---------------------------------------------------------------- main


def write_split(split, seed, n_families, n_orgs, n_questions, heldout):
    people, orgs, _ = build_world(seed, n_families, n_orgs)
    rng = random.Random(seed * 1000 + 7)
    w = Writer(rng, heldout)
    base = os.path.join(HERE, split)
    if os.path.isdir(base):
        shutil.rmtree(base)
    os.makedirs(os.path.join(base, "docs"))
    gold = []
    for e in people + orgs:
        units = person_units(e, rng) if e.kind == "person" else org_units(e, rng)
        text, facts = w.article(e, units)
        with open(os.path.join(base, "docs", fname(e)), "w", encoding="utf-8") as f:
            f.write(text)
        for x in facts:
            gold.append({"document": fname(e), **x})
    with open(os.path.join(base, "gold.jsonl"), "w", encoding="utf-8") as f:
        for x in gold:
            f.write(json.dumps(x, ensure_ascii=False) + "\n")
    qs = make_questions(random.Random(seed * 1000 + 11), people, orgs, n_questions)
    with open(os.path.join(base, "questions.jsonl"), "w", encoding="utf-8") as f:
        for q in qs:
            f.write(json.dumps(q, ensure_ascii=False) + "\n")
    print(f"  {split}: {w.n_reserved} of {w.n_sentences} sentences use heldout-only templates")
    return len(people), len(orgs), len(gold), len(qs)


def main():
    for split, seed, fam, norg, nq, held in (("dev", 1, 10, 24, 60, False), ("heldout", 2, 5, 9, 30, True)):
        n_p, n_o, n_g, n_q = write_split(split, seed, fam, norg, nq, held)
        print(f"{split}: {n_p} people, {n_o} organisations, {n_g} facts, {n_q} questions")
    inv = template_inventory()
    print(f"templates: {len(inv)} total, {sum(1 for r in inv if r[3])} heldout-only")


if __name__ == "__main__":
    main()
