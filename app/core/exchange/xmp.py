"""XMP sidecars that digiKam and Lightroom read (`<stem>.xmp` next to the exported file), and reading them back.

Written: dc:title and dc:description (when the photo has them), xmp:CreateDate and photoshop:DateCreated (the
capture time, with its offset when known), exif:GPSLatitude/GPSLongitude in XMP's "DD,MM.mmmmN" form, and
dc:subject keywords (the album or event name, and the names of the people in the photo).
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
}


@dataclass
class Sidecar:
    title: Optional[str] = None
    description: Optional[str] = None
    taken_at: Optional[str] = None  # ISO 8601, with offset when known
    gps_lat: Optional[float] = None
    gps_lon: Optional[float] = None
    keywords: list[str] = field(default_factory=list)


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
        out.keywords += [li.text for li in desc.findall("dc:subject/rdf:Bag/rdf:li", NS) if li.text]
    return out
