"""XMP sidecars that digiKam and Lightroom read (`<stem>.xmp` next to the exported file), and reading XMP back
(sidecars, and the packets other programs embed in photos: app.core.organise.embedded).

Written: dc:title and dc:description (when the photo has them), xmp:CreateDate and photoshop:DateCreated (the
capture time, with its offset when known), exif:GPSLatitude/GPSLongitude in XMP's "DD,MM.mmmmN" form, xmp:Rating,
tiff:Orientation (when the user rotated the photo), dc:subject keywords (tags, the album or event name, and the names of the people in the photo) and, for
hierarchical tags, lr:hierarchicalSubject ("Places|Japan") and digiKam:TagsList ("Places/Japan").
Read also: MicrosoftPhoto:Rating (a percentage), xmp:Rating -1 (Lightroom's "rejected").
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Optional
from xml.sax.saxutils import escape

NS = {
    "x": "adobe:ns:meta/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "dc": "http://purl.org/dc/elements/1.1/",
    "xmp": "http://ns.adobe.com/xap/1.0/",
    "photoshop": "http://ns.adobe.com/photoshop/1.0/",
    "exif": "http://ns.adobe.com/exif/1.0/",
    "tiff": "http://ns.adobe.com/tiff/1.0/",
    "lr": "http://ns.adobe.com/lightroom/1.0/",
    "digiKam": "http://www.digikam.org/ns/1.0/",
    "MicrosoftPhoto": "http://ns.microsoft.com/photo/1.0/",
}
# Windows writes its star ratings as percentages too: 1, 25, 50, 75, 99 for 1-5 stars.
PERCENT_STARS = ((99, 5), (75, 4), (50, 3), (25, 2), (1, 1))


@dataclass
class Sidecar:
    title: Optional[str] = None
    description: Optional[str] = None
    taken_at: Optional[str] = None  # ISO 8601, with offset when known
    gps_lat: Optional[float] = None
    gps_lon: Optional[float] = None
    keywords: list[str] = field(default_factory=list)  # flat (dc:subject)
    hierarchical: list[str] = field(default_factory=list)  # "Places/Japan/Kyoto" (digiKam, Lightroom)
    rating: Optional[int] = None  # 0-5 stars
    rejected: bool = False
    orientation: Optional[int] = None  # EXIF-style 1-8, written when the user rotated the photo


def _gps(value: float, positive: str, negative: str) -> str:
    degrees = int(abs(value))
    minutes = (abs(value) - degrees) * 60
    return f"{degrees},{minutes:.6f}{positive if value >= 0 else negative}"


def _parse_gps(text: str) -> float:
    ref = text[-1].upper()
    degrees, minutes = text[:-1].split(",", 1)
    value = int(degrees) + float(minutes) / 60
    return -value if ref in "SW" else value


def _alt(tag: str, text: str) -> str:
    return (f"   <{tag}><rdf:Alt><rdf:li xml:lang=\"x-default\">{escape(text)}</rdf:li></rdf:Alt></{tag}>\n")


def to_xml(sidecar: Sidecar) -> bytes:
    attrs = []
    if sidecar.taken_at:
        attrs += [f'xmp:CreateDate="{escape(sidecar.taken_at)}"', f'photoshop:DateCreated="{escape(sidecar.taken_at)}"']
    if sidecar.rating:
        attrs.append(f'xmp:Rating="{-1 if sidecar.rejected else int(sidecar.rating)}"')
    elif sidecar.rejected:
        attrs.append('xmp:Rating="-1"')
    if sidecar.orientation:
        attrs.append(f'tiff:Orientation="{int(sidecar.orientation)}"')
    if sidecar.gps_lat is not None and sidecar.gps_lon is not None:
        attrs += [f'exif:GPSLatitude="{_gps(sidecar.gps_lat, "N", "S")}"',
                  f'exif:GPSLongitude="{_gps(sidecar.gps_lon, "E", "W")}"', 'exif:GPSVersionID="2.2.0.0"']
    body = ""
    if sidecar.title:
        body += _alt("dc:title", sidecar.title)
    if sidecar.description:
        body += _alt("dc:description", sidecar.description)
    if sidecar.keywords:
        items = "".join(f"<rdf:li>{escape(k)}</rdf:li>" for k in sidecar.keywords)
        body += f"   <dc:subject><rdf:Bag>{items}</rdf:Bag></dc:subject>\n"
    if sidecar.hierarchical:
        items = "".join(f"<rdf:li>{escape(k.replace('/', '|'))}</rdf:li>" for k in sidecar.hierarchical)
        body += f"   <lr:hierarchicalSubject><rdf:Bag>{items}</rdf:Bag></lr:hierarchicalSubject>\n"
        items = "".join(f"<rdf:li>{escape(k)}</rdf:li>" for k in sidecar.hierarchical)
        body += f"   <digiKam:TagsList><rdf:Seq>{items}</rdf:Seq></digiKam:TagsList>\n"
    namespaces = " ".join(f'xmlns:{p}="{u}"' for p, u in NS.items() if p not in ("x", "rdf"))
    text = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Shoebox">\n'
        f' <rdf:RDF xmlns:rdf="{NS["rdf"]}">\n'
        f'  <rdf:Description rdf:about="" {namespaces}\n   {" ".join(attrs)}>\n'
        f"{body}"
        "  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n"
        '<?xpacket end="w"?>\n'
    )
    return text.encode("utf-8")


def read_xmp(data: bytes) -> Sidecar:
    """A sidecar's fields, from attributes or elements (as other programs may write either)."""
    root = ET.fromstring(data)
    out = Sidecar()
    for desc in root.iter(f"{{{NS['rdf']}}}Description"):
        def value(prefix: str, name: str) -> Optional[str]:
            key = f"{{{NS[prefix]}}}{name}"
            if key in desc.attrib:
                return desc.attrib[key]
            element = desc.find(f"{prefix}:{name}", NS)
            if element is None:
                return None
            li = element.find(".//rdf:li", NS)
            return (li.text if li is not None else element.text) or None

        out.taken_at = out.taken_at or value("xmp", "CreateDate") or value("photoshop", "DateCreated")
        out.title = out.title or value("dc", "title")
        out.description = out.description or value("dc", "description")
        lat, lon = value("exif", "GPSLatitude"), value("exif", "GPSLongitude")
        if lat and lon:
            out.gps_lat, out.gps_lon = _parse_gps(lat), _parse_gps(lon)
        out.keywords += _items(desc, "dc", "subject")
        out.hierarchical += [k.replace("|", "/") for k in _items(desc, "lr", "hierarchicalSubject")]
        out.hierarchical += _items(desc, "digiKam", "TagsList")
        rating = _number(value("xmp", "Rating"))
        if rating is not None:
            out.rejected = rating < 0
            out.rating = max(0, min(5, round(rating)))
        elif (percent := _number(value("MicrosoftPhoto", "Rating"))) is not None and out.rating is None:
            out.rating = next((stars for low, stars in PERCENT_STARS if percent >= low), 0)
        out.orientation = out.orientation or _number(value("tiff", "Orientation"))
    out.hierarchical = list(dict.fromkeys(h.strip("/") for h in out.hierarchical if h.strip("/")))
    return out


def _items(desc, prefix: str, name: str) -> list[str]:
    """The entries of a Bag or Seq (or a single value written as an attribute or text)."""
    key = f"{{{NS[prefix]}}}{name}"
    if key in desc.attrib:
        return [desc.attrib[key]] if desc.attrib[key].strip() else []
    element = desc.find(f"{prefix}:{name}", NS)
    if element is None:
        return []
    items = [li.text.strip() for li in element.iter(f"{{{NS['rdf']}}}li") if li.text and li.text.strip()]
    if not items and element.text and element.text.strip():
        items = [element.text.strip()]
    return items


def _number(text: Optional[str]):
    try:
        return int(float(text)) if text is not None else None
    except ValueError:
        return None
