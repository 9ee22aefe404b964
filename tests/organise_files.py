"""Photos carrying what other programs write into files: XMP packets as exiftool writes them (digiKam and
Lightroom fields), IPTC-IIM in a Photoshop APP13 block, Windows' EXIF Rating and XP* tags."""

from __future__ import annotations

import struct
from pathlib import Path

import piexif
from PIL import Image

from ingest_images import pixels

EXIFTOOL_XMP = """<?xpacket begin='\ufeff' id='W5M0MpCehiHzreSzNTczkc9d'?>
<x:xmpmeta xmlns:x='adobe:ns:meta/' x:xmptk='Image::ExifTool 12.76'>
<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'>

 <rdf:Description rdf:about=''
  xmlns:dc='http://purl.org/dc/elements/1.1/'>
  <dc:description>
   <rdf:Alt>
    <rdf:li xml:lang='x-default'>{description}</rdf:li>
   </rdf:Alt>
  </dc:description>
  <dc:subject>
   <rdf:Bag>
{subjects}
   </rdf:Bag>
  </dc:subject>
  <dc:title>
   <rdf:Alt>
    <rdf:li xml:lang='x-default'>{title}</rdf:li>
   </rdf:Alt>
  </dc:title>
 </rdf:Description>

 <rdf:Description rdf:about=''
  xmlns:digiKam='http://www.digikam.org/ns/1.0/'>
  <digiKam:TagsList>
   <rdf:Seq>
{tagslist}
   </rdf:Seq>
  </digiKam:TagsList>
 </rdf:Description>

 <rdf:Description rdf:about=''
  xmlns:lr='http://ns.adobe.com/lightroom/1.0/'>
  <lr:hierarchicalSubject>
   <rdf:Bag>
{hierarchical}
   </rdf:Bag>
  </lr:hierarchicalSubject>
 </rdf:Description>

 <rdf:Description rdf:about=''
  xmlns:xmp='http://ns.adobe.com/xap/1.0/'>
  <xmp:Rating>{rating}</xmp:Rating>
 </rdf:Description>
</rdf:RDF>
</x:xmpmeta>
<?xpacket end='w'?>"""


def _li(items) -> str:
    return "\n".join(f"    <rdf:li>{item}</rdf:li>" for item in items)


def exiftool_xmp(*, rating=4, title="Golden Pavilion", description="Autumn at Kinkaku-ji",
                 subjects=("Kyoto", "Japan", "temple"), tagslist=("Places/Japan/Kyoto",),
                 hierarchical=("Places|Japan|Kyoto",)) -> bytes:
    return EXIFTOOL_XMP.format(rating=rating, title=title, description=description, subjects=_li(subjects),
                               tagslist=_li(tagslist), hierarchical=_li(hierarchical)).encode("utf-8")


def iptc_block(keywords=(), title=None, caption=None, utf8=True) -> bytes:
    """IPTC-IIM records wrapped in a Photoshop 3.0 image resource (0x0404), as an APP13 segment's payload."""
    records = b""

    def dataset(record, number, value: bytes) -> bytes:
        return struct.pack(">BBBH", 0x1C, record, number, len(value)) + value

    if utf8:
        records += dataset(1, 90, b"\x1b%G")
    records += dataset(2, 0, b"\x00\x04")
    if title:
        records += dataset(2, 5, title.encode("utf-8"))
    for keyword in keywords:
        records += dataset(2, 25, keyword.encode("utf-8"))
    if caption:
        records += dataset(2, 120, caption.encode("utf-8"))
    if len(records) % 2:
        records += b"\x00"
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00" + struct.pack(">I", len(records)) + records
    return b"Photoshop 3.0\x00" + resource


def write_jpeg(path: Path, *, seed=0, size=(320, 240), xmp: bytes | None = None, iptc: bytes | None = None,
               exif: dict | None = None, orientation: int | None = None) -> Path:
    """A JPEG with any of: an EXIF block (piexif dict for IFD0), an XMP packet, an IPTC APP13 block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    zeroth = dict(exif or {})
    if orientation:
        zeroth[piexif.ImageIFD.Orientation] = orientation
    options = {"exif": piexif.dump({"0th": zeroth, "Exif": {}, "GPS": {}})} if zeroth else {}
    if xmp is not None:
        options["xmp"] = xmp
    Image.fromarray(pixels(*size, seed=seed)).save(path, "JPEG", quality=85, **options)
    if iptc is not None:
        data = path.read_bytes()
        segment = b"\xff\xed" + struct.pack(">H", len(iptc) + 2) + iptc
        path.write_bytes(data[:2] + segment + data[2:])
    return path
