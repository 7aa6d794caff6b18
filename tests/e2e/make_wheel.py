"""Write a minimal pure-Python wheel (PEP 427) with only the standard library.

Usage: make_wheel.py OUT_DIR NAME VERSION 'python source of NAME/__init__.py'
"""
import base64
import hashlib
import sys
import zipfile
from pathlib import Path


def record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def main() -> None:
    out, name, version, source = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    module = name.replace("-", "_")
    dist_info = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": source.encode(),
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{dist_info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: imgspec-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [record_line(p, d) for p, d in files.items()] + [f"{dist_info}/RECORD,,"]
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    Path(out).mkdir(parents=True, exist_ok=True)
    wheel = Path(out) / f"{module}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, data in files.items():
            info = zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0))
            zf.writestr(info, data)
    print(wheel)


if __name__ == "__main__":
    main()
