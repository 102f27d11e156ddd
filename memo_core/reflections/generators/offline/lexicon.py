"""Closed word lists of English the rule-based generator needs: verbs, pronouns, units, name suffixes.

They are general English, not tuned to any corpus; a word missing here only costs a question, never a
wrong one, because unknown words fall back to the safer echo-form templates.
"""

from __future__ import annotations


def words(text: str) -> frozenset[str]:
    """A word list written as whitespace-separated text (easier to read and extend than a literal set)."""
    return frozenset(text.split())


# Irregular verbs: past (and past participle) -> base form.
IRREGULAR_PAST: dict[str, str] = {}
_IRREGULAR = """
arise arose arisen; awake awoke awoken; be was been; be were been; bear bore born; beat beat beaten;
become became become; begin began begun; bend bent bent; bid bid bid; bind bound bound; bite bit bitten;
bleed bled bled; blow blew blown; break broke broken; breed bred bred; bring brought brought;
broadcast broadcast broadcast; build built built; burn burnt burnt; buy bought bought; cast cast cast;
catch caught caught; choose chose chosen; cling clung clung; come came come; cost cost cost;
creep crept crept; cut cut cut; deal dealt dealt; dig dug dug; do did done; draw drew drawn;
dream dreamt dreamt; drink drank drunk; drive drove driven; eat ate eaten; fall fell fallen; feed fed fed;
feel felt felt; fight fought fought;
find found found; flee fled fled; fly flew flown; forbid forbade forbidden; forecast forecast forecast;
forget forgot forgotten; forgive forgave forgiven; freeze froze frozen; get got got; give gave given;
go went gone; grind ground ground; grow grew grown; hang hung hung; have had had; hear heard heard;
hide hid hidden; hit hit hit; hold held held; hurt hurt hurt; keep kept kept; know knew known; lay laid laid;
lead led led; lean leant leant; leap leapt leapt; learn learnt learnt; leave left left; lend lent lent;
let let let; lie lay lain; light lit lit; lose lost lost; make made made; mean meant meant; meet met met;
mislead misled misled; outgrow outgrew outgrown; overcome overcame overcome; oversee oversaw overseen;
overtake overtook overtaken; pay paid paid; prove proved proven; put put put; quit quit quit; read read read;
rebuild rebuilt rebuilt; redo redid redone; rewrite rewrote rewritten; ride rode ridden; ring rang rung;
rise rose risen; run ran run; say said said; see saw seen; seek sought sought; sell sold sold; send sent sent;
set set set; sew sewed sewn; shake shook shaken; shed shed shed; shine shone shone; shoot shot shot;
show showed shown; shrink shrank shrunk; shut shut shut; sing sang sung; sink sank sunk; sit sat sat;
sleep slept slept; slide slid slid; speak spoke spoken; spend spent spent; spin spun spun; split split split;
spread spread spread; spring sprang sprung; stand stood stood; steal stole stolen; stick stuck stuck;
sting stung stung; stride strode stridden; strike struck struck; strive strove striven; swear swore sworn;
sweep swept swept; swim swam swum; swing swung swung; take took taken; teach taught taught; tear tore torn;
tell told told; think thought thought; throw threw thrown; undergo underwent undergone;
understand understood understood; undertake undertook undertaken; upset upset upset; wake woke woken;
wear wore worn; weave wove woven; win won won; wind wound wound; withdraw withdrew withdrawn;
write wrote written; outsell outsold outsold; oversaw oversaw overseen; spell spelt spelt; spill spilt spilt
"""
for _entry in _IRREGULAR.replace("\n", " ").split(";"):
    _parts = _entry.split()
    if len(_parts) == 3:
        IRREGULAR_PAST.setdefault(_parts[1], _parts[0])
        IRREGULAR_PAST.setdefault(_parts[2], _parts[0])
IRREGULAR_BASES = frozenset(IRREGULAR_PAST.values())

# Common regular verbs (base forms): the lemmatiser checks candidate stems against them.
REGULAR_VERBS = words(
    """
    accept achieve acquire act add address admit adopt advise affect agree aim allow announce answer
    appear apply appoint approve argue arrange arrive ask assemble assess assign assist attach attend
    attract award base bake believe belong bless boost borrow bottle brew calibrate call campaign care
    carry cause celebrate certify chair change charge chart check cite claim clean climb close coach
    collect combine commission compare compete compile complete compose compute concern conduct confirm
    connect consider consist construct consult contain continue contribute control convert convince cook
    cooperate coordinate copy correct count cover crash create cross cure dance date decide declare
    decline decorate deliver demand demonstrate deny depend describe design destroy detect determine
    develop die direct disappear discover discuss display divide document donate double drop earn edit
    educate elect employ enable encourage end engage engineer enjoy ensure enter equip establish
    estimate evaluate examine exceed exchange exhibit exist expand expect experiment explain explore
    export express extend face fail farm favour fill film finance finish fire fit fix flood focus follow
    force form found frame fund gather generate graduate grant guide hand handle happen harvest head
    help hire host hope house hunt identify ignore illustrate imagine import improve include increase
    influence inform inherit install instal intend introduce invent invest invite involve issue join
    judge jump kill label land last launch license lift like limit link list live load locate look love
    maintain manage manufacture mark market marry master match matter measure mention merge migrate
    model monitor motivate mount move name need nominate note notice number observe obtain occupy occur
    offer open operate order organise organize own paint partner pass patent perform pick pilot place
    plan plant play point pollute position possess post pour power practise practice praise prefer
    prepare present preserve press prevent price print process produce program programme promote propose
    protect provide publish pull purchase push qualify raise rank rate reach realise realize receive
    recognise recognize recommend record recover recruit reduce refer reflect refuse register reject
    relate release rely remain remember remove rename renovate rent repair repeat replace report
    represent request require research reside resign resolve respond rest restore result retain retire
    return reveal review revise reward row sail save schedule score screen seal search secure select
    serve settle share ship shout sign sponsor staff stage start state stay step stop store study submit
    succeed suffer suggest supply support survey survive suspend switch talk target teach test thank
    total tour trade train transfer transform translate transport travel treat trust try turn type unite
    update upgrade use value verify visit volunteer vote walk want warn wash watch weigh welcome wish
    wonder work worry yield chair co-found co-author co-own head relocate launch reopen rebrand
    restructure sponsor pioneer lecture tutor mentor champion chronicle
    """
)
ALL_BASE_VERBS = REGULAR_VERBS | IRREGULAR_BASES

BE_FORMS = {"is": "is", "are": "are", "was": "was", "were": "were"}
HAVE_FORMS = frozenset({"has", "have", "had"})
DO_FORMS = frozenset({"does", "do", "did"})
MODALS = frozenset({"can", "could", "will", "would", "shall", "should", "may", "might", "must"})
AUXILIARIES = frozenset(BE_FORMS) | HAVE_FORMS | DO_FORMS | MODALS

# Adverbs that may sit between a subject and its verb ("Ilvana Dresk often says").
PRE_VERB_ADVERBS = words(
    """
    also still often later now first then once already always never usually mainly mostly only soon
    jointly together currently formerly previously originally subsequently eventually finally recently
    again regularly primarily largely even just
    """
)

SUBJECT_PRONOUNS = {"he": "person", "she": "person", "it": "thing", "they": "plural"}
POSSESSIVE_PRONOUNS = {"his": "person", "her": "person", "its": "thing", "their": "plural"}
OBJECT_PRONOUNS = {"him": "person", "her": "person", "it": "thing", "them": "plural"}
PRONOUNS = frozenset(SUBJECT_PRONOUNS) | frozenset(POSSESSIVE_PRONOUNS) | frozenset(OBJECT_PRONOUNS)
GENDER = {"he": "m", "his": "m", "him": "m", "she": "f", "her": "f"}

DETERMINERS = words(
    """
    the a an this that these those each every all most many some several both another any no
    """
)
PREPOSITIONS = words(
    """
    in on at by for from to of with without into onto over under near across along around about after
    before during since until through between among against behind beyond inside outside within upon
    towards toward via per than like as off above below beneath beside opposite past
    """
)
CONJUNCTIONS = words(
    """
    and or but nor so yet while whereas because although though if when where
    """
)
FUNCTION_WORDS = DETERMINERS | PREPOSITIONS | CONJUNCTIONS | PRONOUNS | AUXILIARIES | {"not", "who", "which"}

MONTHS = words("January February March April May June July August September October November December")

# Tokens that end names of organisations, places, products and events rather than people.
NON_PERSON_HEADS = words(
    """
    Inc Ltd Llc Plc Co Corp Corporation Company Group Holdings Works Lab Labs Laboratory Laboratories
    Institute Institution University College School Academy Society Association Foundation Trust Fund
    Bank Council Board Service Services Agency Ministry Department Office Authority Commission Committee
    Network Station House Hall Hill Moor River Lake Sea Bay Point Valley Vale Street Lane Road Avenue
    Square Park Bridge Tower Castle Church Mill Plant Factory Centre Center Museum Library Hospital Port
    Harbour Island Mountain Forest Field Fields Coast Region County City Town Village Prize Medal Award
    Awards Programme Program Project Fair Festival Orchestra Club Team League Cup Probe Beacon
    Anemometer Sensor Gauge Meter Instruments Systems Technologies Partners Industries Press Times News
    Journal Review Report Act Treaty Agreement Room Building Gallery Theatre Theater Stadium Airport
    Railway Line Mark Series Edition Model Works Mine Farm Estate Market Canal Gardens Garden Institute
    Observatory Assembly Network Guild Union Studio Studios Records Airlines Motors Energy Power Water
    Health Care Media Labs Capital Ventures
    """
)
PERSON_TITLES = words("Mr Mrs Ms Miss Dr Prof Professor Sir Dame Lord Lady Captain Judge")

# Units with a natural "how much" question; everything else countable takes "how many".
MONEY_UNITS = words(
    """
    euro euros dollar dollars pound pounds yen franc francs crown crowns krona kronor rupee rupees yuan
    cent cents pence
    """
)
PERCENT_UNITS = frozenset({"percent", "per", "%"})
MEASURE_ADJECTIVES = words("tall long high wide deep old heavy thick large big")
SCALE_WORDS = frozenset({"hundred", "thousand", "million", "billion", "trillion"})
QUANTITY_PREFIXES = (
    "about",
    "around",
    "approximately",
    "nearly",
    "almost",
    "over",
    "more than",
    "less than",
    "fewer than",
    "up to",
    "at least",
    "roughly",
    "some",
)
COUNT_WORDS = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "twenty": 20,
    "hundred": 100,
    "one": 1,
}

# Abbreviations after which a full stop does not end a sentence.
ABBREVIATIONS = words(
    """
    mr mrs ms dr prof sr jr st mt no nos vs etc inc ltd co corp dept est fig approx e.g i.e cf al gen
    col capt lt sgt rev hon jan feb mar apr jun jul aug sep sept oct nov dec ave rd
    """
)

# Definite descriptions that stand for the organisation a text is about ("The company opened ...").
ORGANISATION_NOUNS = words("company firm business organisation organization group corporation")

# Irregular past participles: base -> participle (for passive probes: "sold" -> "was sold").
PARTICIPLES: dict[str, str] = {}
for _entry in _IRREGULAR.replace("\n", " ").split(";"):
    _parts = _entry.split()
    if len(_parts) == 3:
        PARTICIPLES.setdefault(_parts[0], _parts[2])

# Agent nouns for "Who was the founder of X?" probes.
AGENT_NOUNS = {
    "found": "founder",
    "co-found": "co-founder",
    "design": "designer",
    "manage": "manager",
    "lead": "leader",
    "own": "owner",
    "write": "writer",
    "build": "builder",
    "invent": "inventor",
    "create": "creator",
    "develop": "developer",
    "direct": "director",
    "publish": "publisher",
    "establish": "founder",
    "compose": "composer",
    "paint": "painter",
    "produce": "producer",
    "discover": "discoverer",
    "edit": "editor",
    "organise": "organiser",
    "organize": "organizer",
    "sponsor": "sponsor",
    "chair": "chair",
    "head": "head",
    "win": "winner",
    "sign": "signatory",
    "manufacture": "manufacturer",
    "operate": "operator",
    "host": "host",
    "make": "maker",
    "teach": "teacher",
    "train": "trainer",
}
