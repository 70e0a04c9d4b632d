# ruff: noqa: E501, C408
"""Make the two binary demo minutes of the fictional Fjordby Kommune.

    demo/fjordby/beskaeftigelses-og-integrationsudvalget_2025-05-20.docx  (Acadre-style Word)
    demo/fjordby/teknik-og-miljoeudvalget_2025-09-02.pdf  (FirstAgenda-style PDF export)

This is a developer tool, NOT part of referat: the generated files are committed, and nothing in
the project imports or runs this script. Run it only if you change the text below, in a throwaway
environment that has the two writer libraries (neither is a dependency of referat):

    python3 -m venv /tmp/demo-venv
    /tmp/demo-venv/bin/pip install python-docx fpdf2
    /tmp/demo-venv/bin/python demo/make_binary_demos.py

The PDF embeds DejaVu Sans (the Debian package fonts-dejavu-core) so that æ, ø, å, – and ” keep a
correct text layer. The PDF is reproducible byte for byte (its dates are pinned); the .docx
differs between runs only in the zip timestamps.
"""

from __future__ import annotations

import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent / "fjordby"
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

# --------------------------------------------------------------------------------------------
# Word: Beskæftigelses- og Integrationsudvalget, 20-05-2025 (layout after Acadre/Syddjurs)
# --------------------------------------------------------------------------------------------
BIU = "Beskæftigelses- og Integrationsudvalget"
DOCX_MEETING = {
    "body": BIU,
    "label": "Ordinært møde",
    "date_long": "Tirsdag den 20. maj 2025",
    "time": "Kl. 16:00",
    "place": "Jobcentret, mødelokale 3\nStationsvej 10\nFjordby",
    "members": [
        "Nadia Hussein (A), formand",
        "Niels Ravn (V)",
        "Anne-Mette Skov (A)",
        "Helle Thygesen (C)",
        "Signe Mørk (Ø)",
    ],
    "absent": ["Niels Ravn (V)"],
}

DOCX_ITEMS = [
    dict(
        title="Godkendelse af dagsorden",
        case="25/00301",
        sections=[("Indstilling", ["Direktøren indstiller, at dagsordenen godkendes."])],
        decisions=[("20-05-2025", ["Godkendt."])],
    ),
    dict(
        title="Ledighed og beskæftigelse - status for 1. kvartal 2025",
        case="25/01102",
        sections=[
            (
                "Resumé",
                [
                    "Jobcentret orienterer om udviklingen i ledigheden og beskæftigelsen i første kvartal af 2025."
                ],
            ),
            (
                "Sagsfremstilling",
                [
                    "Bruttoledigheden i Fjordby Kommune var i marts 2025 på 2,9 pct., svarende til 612 fuldtidsledige. Det er 0,3 procentpoint lavere end på samme tid sidste år og under landsgennemsnittet.",
                    "Antallet af langtidsledige er faldet fra 146 til 118. Der er fortsat mangel på arbejdskraft inden for bygge og anlæg, transport og ældreplejen.",
                ],
            ),
            ("Økonomi og organisatoriske konsekvenser", ["Ingen."]),
            ("Indstilling", ["Direktøren indstiller, at orienteringen tages til efterretning."]),
        ],
        decisions=[("20-05-2025", ["Taget til efterretning."])],
    ),
    dict(
        title="Sommerjob for unge 2025",
        case="25/00890",
        sections=[
            (
                "Resumé",
                ["Jobcentret foreslår, at ordningen med sommerjob for unge videreføres i 2025."],
            ),
            (
                "Sagsfremstilling",
                [
                    "Ordningen giver 60 unge mellem 15 og 17 år et sommerjob på tre uger i kommunale arbejdspladser og hos lokale virksomheder, bl.a. på Fjordby Havn, i parkerne og på plejecentrene.",
                    "I 2024 fik 57 unge et sommerjob, og 21 af dem fik efterfølgende et fritidsjob på arbejdspladsen.",
                ],
            ),
            (
                "Økonomi og organisatoriske konsekvenser",
                [
                    "Udgiften på 520.000 kr. til løn og koordinering afholdes inden for jobcentrets budget."
                ],
            ),
            (
                "Indstilling",
                ["Direktøren indstiller, at ordningen med sommerjob for unge videreføres i 2025."],
            ),
        ],
        decisions=[("20-05-2025", ["Godkendt."])],
    ),
    dict(
        title="Danskuddannelse for voksne udlændinge - nyt udbud",
        case="25/00455",
        sections=[
            (
                "Resumé",
                [
                    "Kontrakten om danskuddannelse for voksne udlændinge udløber den 31. december 2025, og der skal gennemføres et nyt udbud."
                ],
            ),
            (
                "Sagsfremstilling",
                [
                    "Danskuddannelsen har ca. 260 kursister. Undervisningen foregår i dag i Fjordby og i Lyngvig. Administrationen foreslår, at al undervisning samles i Fjordby for at opnå en besparelse på ca. 0,4 mio. kr. om året.",
                ],
            ),
            (
                "Indstilling",
                [
                    "Direktøren indstiller, at danskuddannelsen udbydes med undervisning samlet i Fjordby."
                ],
            ),
        ],
        decisions=[
            (
                "22-04-2025",
                [
                    "Udsat. Udvalget ønsker en beskrivelse af konsekvenserne for kursisterne i Lyngvig."
                ],
            ),
            (
                "20-05-2025",
                [
                    "Godkendt, at danskuddannelsen udbydes med krav om, at der fortsat undervises i Lyngvig to dage om ugen."
                ],
            ),
        ],
        supplement=[
            "Ca. 45 kursister bor i Lyngvig og omegn, og mange af dem er i job. En samling i Fjordby vil give dem op til en times ekstra transport hver vej. Hvis undervisningen i Lyngvig bevares to dage om ugen, bliver besparelsen ca. 0,25 mio. kr. om året."
        ],
    ),
    dict(
        title="Jobmesse i Kulturhuset Pakhuset",
        case="25/01230",
        sections=[
            (
                "Resumé",
                [
                    "Jobcentret vil sammen med Fjordby Erhvervsforening holde en jobmesse i Kulturhuset Pakhuset den 24. september 2025."
                ],
            ),
            (
                "Sagsfremstilling",
                [
                    "Der forventes 40 virksomheder og ca. 600 besøgende. Messen målrettes ledige, studerende og borgere, der ønsker at skifte job. Der bliver særlige stande for ældreplejen og for bygge- og anlægsbranchen."
                ],
            ),
            (
                "Økonomi og organisatoriske konsekvenser",
                ["Udgiften på 85.000 kr. deles ligeligt mellem jobcentret og erhvervsforeningen."],
            ),
            ("Indstilling", ["Direktøren indstiller, at jobmessen gennemføres."]),
        ],
        decisions=[("20-05-2025", ["Godkendt."])],
    ),
    dict(
        title="Kvalitetsstandard for ressourceforløb",
        case="25/00977",
        sections=[
            (
                "Resumé",
                [
                    "Kvalitetsstandarden beskriver, hvad borgere i ressourceforløb kan forvente af jobcentret."
                ],
            ),
            (
                "Sagsfremstilling",
                [
                    "Et ressourceforløb varer mellem et og fem år og skal hjælpe borgere med komplekse problemer tættere på arbejdsmarkedet. Kommunen har i dag 174 borgere i ressourceforløb."
                ],
            ),
            ("Indstilling", ["Direktøren indstiller, at kvalitetsstandarden godkendes."]),
        ],
        decisions=[
            (
                "20-05-2025",
                [
                    "Godkendt med den ændring, at borgeren altid tilbydes en fast kontaktperson i hele forløbet."
                ],
            )
        ],
    ),
    dict(
        title="Lukket: Klagesag - tilbagebetaling af kontanthjælp",
        case="25/01301",
        closed=True,
        sections=[
            (
                "Sagsfremstilling",
                [
                    "HEMMELIGT-J8DX: En borger i Engparken er blevet afkrævet tilbagebetaling af 68.400 kr. i kontanthjælp for perioden 2023-2024 på grund af ikke oplyst samlivsforhold. Borgeren har klaget over afgørelsen."
                ],
            )
        ],
        decisions=[
            (
                "20-05-2025",
                [
                    "HEMMELIGT-J8DX: Udvalget fastholdt kravet om tilbagebetaling, men godkendte en afdragsordning på 1.200 kr. om måneden."
                ],
            )
        ],
    ),
    dict(
        title="Meddelelser",
        case="25/00302",
        sections=[
            (
                "Sagsfremstilling",
                [
                    "Orientering om den nye beskæftigelsesreform og om jobcentrets flytning til Stationsvej 10."
                ],
            )
        ],
        decisions=[("20-05-2025", ["Taget til efterretning."])],
    ),
]

# --------------------------------------------------------------------------------------------
# PDF: Teknik- og Miljøudvalget, 02-09-2025 (layout after the FirstAgenda PDF export)
# --------------------------------------------------------------------------------------------
PDF_MEETING = {
    "body": "Teknik- og Miljøudvalget",
    "date": "02-09-2025",
    "date_long": "Tirsdag d. 2. september 2025 kl. 16:00",
    "place": "Fjordstuen, Fjordby Rådhus",
    "members": "Jens Bach, Søren Vang, Per Kristoffersen, Rikke Storm, Martin Schou, Bent Hvidberg, Marianne Holt",
}

PDF_ITEMS = [
    dict(title="Godkendelse af dagsorden", case="25-000700", decision=["Godkendt."], sections=[]),
    dict(
        title="Madaffald i etageboliger - ny ordning",
        case="23-006230",
        decision=[
            "Godkendt. Ordningen med nedgravede containere indføres i alle almene boligafdelinger fra den 1. januar 2026."
        ],
        sections=[
            (
                "Baggrund",
                [
                    "Udvalget udsatte i oktober 2023 sagen om indsamling af madaffald i etageboliger. Siden er der gennemført forsøg i tre boligafdelinger i Engparken og Strandparken."
                ],
            ),
            (
                "Indstilling",
                [
                    "Center for Teknik og Miljø indstiller, at ordningen med nedgravede containere til madaffald indføres i alle almene boligafdelinger."
                ],
            ),
            (
                "Sagsfremstilling",
                [
                    "Forsøgene viser, at mængden af sorteret madaffald steg med 40 pct., og at klagerne over lugt og rotter næsten forsvandt. Boligselskabet Fjordbo bakker op om ordningen.",
                    "Der skal etableres ca. 90 nedgravede containere. Gebyret for en husstand i etagebolig stiger med 85 kr. om året.",
                ],
            ),
            (
                "Økonomi",
                [
                    "Anlægsudgiften på 6,3 mio. kr. finansieres af affaldsområdet og indregnes i affaldsgebyret over 10 år."
                ],
            ),
        ],
    ),
    dict(
        title="Trafikplan for Fjordby midtby - efter høring",
        case="24-011870",
        decision=["Anbefales godkendt med den ændring, at ensretningen af Havnegade udgår."],
        sections=[
            (
                "Baggrund",
                [
                    "Forslaget til trafikplan for Fjordby midtby har været i offentlig høring frem til den 30. april 2025. Der blev holdt borgermøde i Pakhuset den 8. april 2025 med ca. 180 deltagere."
                ],
            ),
            (
                "Indstilling",
                [
                    "Center for Teknik og Miljø indstiller, at udvalget anbefaler trafikplanen over for Økonomiudvalget og Byrådet."
                ],
            ),
            (
                "Sagsfremstilling",
                [
                    "Der er modtaget 142 høringssvar. Et flertal støtter 40 km/t i midtbyen og de nye cykelparkeringspladser, mens Erhvervsforeningen og mange beboere er imod ensretningen af Havnegade, fordi trafikken vil blive flyttet til boligvejene.",
                    "Administrationen foreslår at fastholde planen, men at ensretningen af Havnegade først indføres efter en prøveperiode.",
                ],
            ),
            (
                "Økonomi",
                ["Den samlede udgift er 4,2 mio. kr., som afholdes af puljen til byudvikling."],
            ),
            (
                "Bilag",
                [
                    "Høringsnotat - trafikplan for Fjordby midtby",
                    "Referat af borgermøde 8. april 2025",
                ],
            ),
        ],
    ),
    dict(
        title="Klimatilpasning ved Fjordby Havn - kystbeskyttelseslag",
        case="24-002290",
        decision=[
            "Udvalget anbefaler, at kommunen deltager i kystbeskyttelseslaget med en andel på 32 mio. kr., og at sagen sendes videre til Økonomiudvalget og Byrådet."
        ],
        sections=[
            (
                "Baggrund",
                [
                    "Direktionen drøftede i marts 2025 forslaget om et dige og et pumpeanlæg ved Fjordby Havn. Kystdirektoratet har nu vurderet projektet."
                ],
            ),
            (
                "Indstilling",
                [
                    "Center for Teknik og Miljø indstiller, at der oprettes et kystbeskyttelseslag for havneområdet, og at kommunen betaler 32 mio. kr. af den samlede udgift på 96 mio. kr."
                ],
            ),
            (
                "Sagsfremstilling",
                [
                    "Kystdirektoratet vurderede i juni 2025, at et dige på 1,8 meter over daglig vande giver den nødvendige beskyttelse frem til 2070. Pumpeanlægget placeres ved Havnevej.",
                    "De 143 grundejere i området betaler resten af udgiften efter en fordelingsnøgle, der tager højde for, hvor meget den enkelte ejendom får gavn af beskyttelsen.",
                ],
            ),
            (
                "Økonomi",
                [
                    "Kommunens andel på 32 mio. kr. forventes finansieret af lånoptagelse over 25 år."
                ],
            ),
        ],
    ),
    dict(
        title="Vejbelysning - udskiftning til LED",
        case="25-003310",
        decision=["Godkendt."],
        sections=[
            (
                "Baggrund",
                [
                    "Ca. 2.600 gadelamper i kommunen har stadig gamle natriumpærer, som ikke længere kan købes."
                ],
            ),
            (
                "Indstilling",
                [
                    "Center for Teknik og Miljø indstiller, at alle gamle armaturer udskiftes til LED i 2026."
                ],
            ),
            (
                "Sagsfremstilling",
                [
                    "Udskiftningen koster 7,8 mio. kr. og giver en besparelse på el og vedligeholdelse på ca. 1,1 mio. kr. om året. Lyset dæmpes mellem kl. 23 og kl. 5 på villaveje."
                ],
            ),
        ],
    ),
    dict(
        title="Vandløbsrestaurering i Møllebækken",
        case="25-002901",
        decision=["Godkendt."],
        sections=[
            (
                "Baggrund",
                [
                    "Møllebækken er i statens vandområdeplan udpeget til at skulle opnå god økologisk tilstand."
                ],
            ),
            (
                "Sagsfremstilling",
                [
                    "Projektet omfatter 1,4 km vandløb, hvor der udlægges gydegrus og sten til havørreder, og hvor en gammel spærring ved Fjordvej fjernes. Projektet koster 0,9 mio. kr. og finansieres fuldt ud af staten."
                ],
            ),
        ],
    ),
    dict(
        title="Henvendelse om hastigheden på Fjordvej",
        case="25-003655",
        decision=[
            "Taget til efterretning. Administrationen gennemfører nye hastighedsmålinger på Fjordvej i oktober 2025."
        ],
        sections=[
            (
                "Baggrund",
                [
                    "Beboere på Fjordvej har skrevet til udvalget om høj fart og mange lastbiler. De ønsker en hastighedsgrænse på 60 km/t."
                ],
            ),
            (
                "Sagsfremstilling",
                [
                    "De seneste målinger fra 2023 viste en gennemsnitshastighed på 74 km/t, hvor grænsen er 80 km/t. Politiet skal give samtykke til en lavere hastighedsgrænse."
                ],
            ),
        ],
    ),
    dict(
        title="Lukket: Erstatningskrav fra entreprenør - cykelsti langs Strandvejen",
        case="25-003700",
        closed=True,
        decision=[
            "HEMMELIGT-R7CS: Entreprenøren Vejbyg Nord A/S kræver 1,35 mio. kr. for ekstraarbejde med forurenet jord under cykelstien. Udvalget godkendte et forlig på 0,8 mio. kr."
        ],
        sections=[],
    ),
    dict(
        title="Meddelelser",
        case="25-000701",
        decision=["Orienteringen blev taget til efterretning."],
        sections=[
            (
                "Baggrund",
                [
                    "Orientering om åbningen af cykelstien langs Strandvejen og om status for den nye genbrugsplads."
                ],
            )
        ],
    ),
]


def make_docx(path: Path) -> None:
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.shared import Pt

    m = DOCX_MEETING
    d = docx.Document()
    d.core_properties.author = "Fjordby Kommune"
    d.core_properties.title = f"Referat {m['body']} 20-05-2025"
    d.core_properties.created = datetime.datetime(2025, 5, 21, 9, 0)
    d.core_properties.modified = datetime.datetime(2025, 5, 21, 9, 0)
    styles = d.styles
    toc = styles.add_style("toc 1", WD_STYLE_TYPE.PARAGRAPH)
    toc.base_style = styles["Normal"]
    web = styles.add_style("Normal (Web)", WD_STYLE_TYPE.PARAGRAPH)
    web.base_style = styles["Normal"]
    web.font.size = Pt(11)

    front = d.add_table(rows=0, cols=1)
    for text in [
        "Referat",
        m["body"],
        m["label"],
        m["date_long"],
        m["time"],
        m["place"],
        "Medlemmer\n" + "\n".join(m["members"]),
        "Fraværende\n" + "\n".join(m["absent"]),
    ]:
        front.add_row().cells[0].text = text
    d.add_paragraph()
    d.add_paragraph("Indholdsfortegnelse")
    d.add_paragraph("Punkt nr.\t\t\tSide")
    for n, it in enumerate(DOCX_ITEMS, 1):
        d.add_paragraph(f"{n}.\t{it['title']}\t{n + 1}", style="toc 1")
    d.add_paragraph()

    for n, it in enumerate(DOCX_ITEMS, 1):
        t = d.add_table(rows=3, cols=2)
        a, b = t.rows[0].cells
        a.merge(b).text = f"{n}.\t{it['title']}"
        t.rows[1].cells[0].text = "Sagsnr.: "
        t.rows[1].cells[1].text = it["case"]
        t.rows[2].cells[0].text = "Sagen afgøres i: "
        t.rows[2].cells[1].text = m["body"]
        for heading, paras in it["sections"]:
            d.add_paragraph(heading, style="Heading 2")
            for p in paras:
                d.add_paragraph(p, style="Normal (Web)")
        decisions = it["decisions"]
        for k, (date, paras) in enumerate(decisions):
            if k == 1 and it.get("supplement"):
                d.add_paragraph("Supplerende sagsfremstilling", style="Heading 2")
                for p in it["supplement"]:
                    d.add_paragraph(p, style="Normal (Web)")
            d.add_paragraph(f"Beslutning i {m['body']} den {date}", style="Heading 2")
            for p in paras:
                d.add_paragraph(p, style="Normal (Web)")
        d.add_page_break()

    d.add_paragraph("Underskriftsside", style="Heading 2")
    sig = d.add_table(rows=0, cols=2)
    members = [x.split(" (")[0] for x in m["members"]]
    for i in range(0, len(members), 2):
        row = sig.add_row().cells
        row[0].text = members[i]
        row[1].text = members[i + 1] if i + 1 < len(members) else ""
    d.save(str(path))


def make_pdf(path: Path) -> None:
    from fpdf import FPDF

    m = PDF_MEETING
    pdf = FPDF(format="A4")
    pdf.set_creation_date(datetime.datetime(2025, 9, 3, 7, 45, tzinfo=datetime.UTC))
    pdf.set_producer("Fjordby Kommune demo (fpdf2)")
    pdf.set_title(f"Referat {m['body']} {m['date']}")
    pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=20)
    width = 180

    def para(text: str, size: int = 10, style: str = "", gap: float = 2) -> None:
        pdf.set_font("DejaVu", style, size)
        pdf.multi_cell(width, 5, text, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    pdf.add_page()
    para(f"REFERAT {m['body']} d. {m['date']}", 16, "B", 4)
    para(f"Mødedato {m['date_long']}")
    para(f"Mødested {m['place']}")
    para(f"Mødedeltagere {m['members']}")

    pdf.add_page()
    para("Indholdsfortegnelse", 14, "B", 3)
    pdf.set_font("DejaVu", "", 10)
    for n, it in enumerate(PDF_ITEMS, 1):
        title = it["title"]
        dots = "." * max(5, 95 - len(title))
        pdf.cell(width, 6, f"{title}{dots} {n + 2}", new_x="LMARGIN", new_y="NEXT")

    for n, it in enumerate(PDF_ITEMS, 1):
        pdf.add_page()
        para(f"Punkt {n}: {it['title']}", 13, "B", 2)
        para(it["case"], 9, "", 3)
        para("Beslutninger", 11, "B", 1)
        for p in it["decision"]:
            para(p)
        for heading, paras in it["sections"]:
            para(heading, 11, "B", 1)
            for p in paras:
                para(p)
    pdf.output(str(path))


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    make_docx(HERE / "beskaeftigelses-og-integrationsudvalget_2025-05-20.docx")
    make_pdf(HERE / "teknik-og-miljoeudvalget_2025-09-02.pdf")
    print("wrote", HERE)
