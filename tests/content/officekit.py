"""What the office capsule's content checks share: the capsule, the source
page's sentences in order, and how wide a line shows.  Used by
tests/content/test_content.py (the pages as files) and by
tests/integration/test_content_served.py (the same pages served as Gopher
menus).  Standard library only.
"""

import pathlib
import unicodedata

REPO = pathlib.Path(__file__).resolve().parents[2]
CAPSULE = REPO / "capsule"

GOPHER_WIDTH = 67
LAST_MODIFIED = "Last modified on 14/03/2016"

# Every sentence of the source, in order, once the web leftovers are dropped.
# Headings, the contact lines and the "Organization Chart" link count as
# sentences too.  test_expected_sentences_are_the_source derives this list
# from the source file, so the two cannot drift apart.
SENTENCES = [
    "Office of Homeland Security attaché",
    "42, Sussex Drive, Ottawa, Ontario, K1M 2C9",
    "1 613-562-3788",
    "1 613 562 3785",
    "Organization Chart",
    "Office of Homeland Security",
    "The Homeland Security Attaché (HSA)",
    "As an advisor to the Ambassador on all matters pertaining to national "
    "security, the Homeland Security Attaché organizes and coordinates "
    "bilateral and multilateral cooperative security initiatives, particularly "
    "with regard to their technical, operational, and institutional aspects.",
    "The Homeland Security Attaché is granted diplomatic status.",
    "Homeland Security Attachés implement cooperative initiatives defined by "
    "the Ministry of the Interior, in accordance with the general guidelines "
    "governing our foreign policy.",
    "As privileged partners of local police agencies or gendarmeries, HSAs "
    "are, in their international posts, representatives of France’s national "
    "gendarmerie and police force.",
    "The HSA proposes and implements cooperative programs, takes part in "
    "missions in support of the resident French community, and contributes to "
    "France’s national security.",
    "The Office of Homeland Security’s missions",
    "In the execution of their duties, Homeland Security Attachés may be "
    "seconded by a Deputy Homeland Security Attaché or by liaison officers, "
    "international technical experts, cooperants from France’s national "
    "police or gendarmerie.",
    "HSAs are responsible for the organization and coordination of the "
    "activities of these seconded personnel members.",
    "An HSA’s missions lead the service to pursue exchanges of operational "
    "information with the host country’s police agency, particularly as "
    "regards international crime (illegal immigration; organized crime "
    "terrorism; human, drug, and weapons trafficking…).",
    "The Office plays an essential role in the execution of European warrants "
    "for arrest.",
    "It provides support for international rogatory commissions.",
    "It also contributes to the promotion of French industry in the security "
    "equipment sector and to missions in support of the resident French "
    "community.",
    "Through its daily operations and the preparation of bilateral and "
    "multilateral cooperative initiatives, the OHS makes direct contributions "
    "to France’s national security.",
    "The Office of Homeland Security (OHS) in Ottawa",
    "Located within the Embassy of France, this office was established the "
    "year 2000.",
    "The Ottawa OHS consists of the HSA, who is a colonel in France’s "
    "Gendarmerie nationale; and a Deputy HSA, who is a major in the "
    "Gendarmerie nationale.",
    "The Directorate for International Cooperation (DCI)",
    "Founded on September 1st, 2010, the Directorate for International "
    "Cooperation (officially referred to as the DCI) is a joint initiative "
    "between France’s national gendarmerie and police force.",
    "Police officers and gendarmes work together on matters of "
    "State-implemented international police cooperation so as to better "
    "protect citizens and their interests.",
    "An international response to a range of challenges in a changing world",
    "Ever-growing cooperation between countries is the key to countering the "
    "variety of threats that arise outside our borders, such as terrorism, "
    "trans-national organized crime, drug and weapons trafficking, and "
    "cybercrime.",
    "For France, its network of Homeland Security Attachés (HSA), consisting "
    "of 250 police officers and gendarmes in 92 embassies across 156 "
    "countries, represents an effective means of working towards bilateral "
    "and multilateral cooperation.",
    "The mission: coordination and organization",
    "The DCI plays an active role in the application of the Ministry of the "
    "Interior’s international strategy and in the implementation of France’s "
    "foreign policy with regard to national security.",
    "It organizes and coordinates operational, technical and institutional "
    "cooperative initiatives—excluding issues that are within the exclusive "
    "jurisdiction of intelligence services—between France’s national police "
    "and gendarmes.",
    "To carry out its missions, the DCI consults with a central location and "
    "widespread services around the world, Offices of Homeland Security "
    "(OHS), and police officers and gendarmes posted in the country or "
    "countries involved.",
    "The goal: coherence and efficiency",
    "The creation of the DCI has allowed for reduced costs and increased "
    "performance by bringing together the world’s leading players in "
    "international police cooperation within a single structure.",
    LAST_MODIFIED,
]


def display_width(s):
    width = 0
    for ch in s:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def collapse(s):
    return " ".join(s.split())


def capsule_pages():
    return sorted(p.name for p in CAPSULE.glob("*.gmi"))
