#!/usr/bin/env python3
"""Writes small starting inputs for every fuzz target into corpus/<target>/ (not committed).

Run from fuzz/: `python3 seed.py`. The fuzzer finds structure much sooner from a real tar, zip
or manifest than from nothing.
"""
import gzip
import io
import os
import struct
import tarfile
import zipfile

PACKAGE_JSON = b'''{"name":"x","version":"1.0.0","main":"index.js","bin":{"x":"./cli.js"},
"exports":{".":{"import":"./esm/index.mjs","require":"./index.js"}},
"scripts":{"postinstall":"node scripts/install.js"},"activationEvents":["*"]}'''
METADATA = b"Metadata-Version: 2.1\nName: pkg\nVersion: 1.0\nSummary: a package\n\nlong text\n"
ENTRY_POINTS = b"[console_scripts]\npkg = pkg.main:main\n"
CHROME = b'{"manifest_version":3,"name":"e","background":{"service_worker":"bg.js"},"content_scripts":[{"js":["c.js"]}]}'


def tar_bytes(gnu=True):
    out = io.BytesIO()
    fmt = tarfile.GNU_FORMAT if gnu else tarfile.PAX_FORMAT
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tar:
        for name, data in [
            ("package/package.json", PACKAGE_JSON),
            ("package/index.js", b"module.exports = require('./lib/a')\n"),
            ("package/" + "long/" * 30 + "deep.js", b"1"),
        ]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("package/link")
        link.type = tarfile.SYMTYPE
        link.linkname = "../../etc/passwd"
        tar.addfile(link)
        nested = zip_bytes()
        info = tarfile.TarInfo("package/inner.zip")
        info.size = len(nested)
        tar.addfile(info, io.BytesIO(nested))
    return out.getvalue()


def zip_bytes(deflate=True):
    out = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(out, "w", method) as z:
        z.writestr("extension.vsixmanifest", b"<PackageManifest/>")
        z.writestr("extension/package.json", PACKAGE_JSON)
        z.writestr("extension/out/main.js", b"exports.activate = () => {}\n" * 20)
        z.writestr("pkg-1.0.dist-info/WHEEL", b"Wheel-Version: 1.0\n")
    return out.getvalue()


def crx3(zip):
    header = b"\x0a\x02\x08\x01"
    return struct.pack("<II", 3, len(header)) + header + zip


def crx2(zip):
    return struct.pack("<III", 2, 4, 4) + b"KEY!SIG!" + zip


def write(target, name, data):
    folder = os.path.join("corpus", target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


tars = {"gnu.tar": tar_bytes(True), "pax.tar": tar_bytes(False)}
zips = {"deflated.zip": zip_bytes(True), "stored.zip": zip_bytes(False)}
for name, data in tars.items():
    write("tar", name, data)
    write("gzip", name + ".compress", b"\x01" + data)
    write("gzip", name + ".gz", b"\x00" + gzip.compress(data, mtime=0)[2:])
    write("open", name, data)
    write("open", name + ".gz", gzip.compress(data, mtime=0))
write("gzip", "plain.js.compress", b"\x01console.log(1)\n")
for name, data in zips.items():
    write("zip", name, data)
    write("crx", name + ".crx3", crx3(data))
    write("crx", name + ".crx2", crx2(data))
    write("open", name, data)
    write("open", name + ".crx", b"Cr24" + crx3(data))
for index, (selector, listing, text) in enumerate([
    (0, b"package/index.js\npackage/cli.js\npackage/esm/index.mjs\npackage/scripts/install.js", PACKAGE_JSON),
    (1, b"extension/out/main.js", PACKAGE_JSON),
    (2, b"bg.js\nc.js", CHROME),
    (3, b"pkg-1.0.dist-info/entry_points.txt\npkg/main.py", METADATA + ENTRY_POINTS),
    (4, b"pkg-1.0/setup.py", METADATA),
]):
    write("metadata", f"manifest{index}", bytes([selector]) + listing + b"\0" + text)
