"""Small FirstAgenda-style text minutes, written on the fly for index tests."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FakeItem:
    number: int
    title: str
    case_number: str = "24/100"
    sections: tuple[tuple[str, str], ...] = (("Baggrund", "Sagen handler om noget."),)
    decision: str = "Godkendt."
    closed_text: str | None = None  # set to make the item closed ("Lukket" title)


@dataclass(frozen=True)
class FakeMeeting:
    date: str  # DD-MM-YYYY
    body: str = "Direktionen"
    items: tuple[FakeItem, ...] = field(default_factory=tuple)


def render(meeting: FakeMeeting) -> str:
    lines = [
        "",
        f"REFERAT {meeting.body} d. {meeting.date}",
        "",
        f"Mødedato Tirsdag d. {meeting.date} kl. 10:00",
        "",
        "Mødested Mødelokale A1",
        "",
        "Indholdsfortegnelse",
        "",
    ]
    for page, item in enumerate(meeting.items, start=3):
        title = "Lukket" if item.closed_text else item.title
        lines.append(f"{title}.....\t{page}")
    lines.append("")
    for item in meeting.items:
        if item.closed_text:
            lines += [f"Punkt {item.number}: Lukket", "", item.closed_text, ""]
            continue
        lines += [f"Punkt {item.number}: {item.title}", "", item.case_number, ""]
        for name, text in item.sections:
            lines += [name, "", text, ""]
        lines += [f"Beslutning {meeting.body} den {meeting.date}", "", item.decision, ""]
    return "\n".join(lines)
