#!/usr/bin/env python3
"""The generator of the x86 conformance harness: makes integer instruction cases, has the real
processor run them, and writes the vectors the `@lguest/x86` adapter test replays.

`make -C tools/x86-conformance` runs it. For every instruction form in forms.py it makes cases with
random operands that lean on edge values, writes them in the case format of native/runner.c, runs the
runner (built with gcc -m32), checks that no case faulted unless its form allows that fault, and
writes vectors/*.bin.gz, vectors/index.json.gz and COVERAGE.md. Everything is seeded by form name, so
the output is the same on every run on the same kind of processor.
"""
import gzip
import json
import os
import random
import struct
import subprocess
import sys

from case import CODE_BASE, DATA_BASE, DATA_SIZE
from forms import build_forms

HERE = os.path.dirname(os.path.abspath(__file__))
VECTORS = os.path.join(HERE, 'vectors')
RUNNER = os.path.join(HERE, 'build', 'runner')
VERSION = 2


def case_bytes(case, native):
    """One case in the runner's input format."""
    code = case.native_code() if native else case.code()
    out = bytearray([len(code)]) + struct.pack('<H', case.code_offset) + code
    out += struct.pack('<8I', *case.regs)
    out += struct.pack('<I', case.eflags)
    out.append(len(case.patches))
    for addr, data in case.patches:
        out += struct.pack('<HB', addr - DATA_BASE, len(data)) + data
    return bytes(out)


def parse_results(blob, count):
    if blob[:4] != b'LGXO' or struct.unpack_from('<I', blob, 4)[0] != count:
        raise SystemExit('gen: the runner returned a malformed result stream')
    pos = 8
    results = []
    for _ in range(count):
        status = blob[pos]
        eip = struct.unpack_from('<I', blob, pos + 1)[0]
        regs = list(struct.unpack_from('<8I', blob, pos + 5))
        eflags = struct.unpack_from('<I', blob, pos + 37)[0]
        runs = struct.unpack_from('<H', blob, pos + 41)[0]
        pos += 43
        diffs = []
        for _ in range(runs):
            off, ln = struct.unpack_from('<HB', blob, pos)
            diffs.append((off, bytes(blob[pos + 3 : pos + 3 + ln])))
            pos += 3 + ln
        results.append((status, eip, regs, eflags, diffs))
    return results


def vector_record(case, result):
    status, eip, regs, eflags, diffs = result
    code = case.code()
    out = bytearray([len(code)]) + struct.pack('<H', case.code_offset) + code
    out += struct.pack('<8I', *case.regs)
    out += struct.pack('<H', case.eflags)
    out.append(len(case.patches))
    for addr, data in case.patches:
        out += struct.pack('<HB', addr - DATA_BASE, len(data)) + data
    out.append(status)
    out += struct.pack('<HB', case.mask, case.undef)
    if status != 0xFF:
        out += struct.pack('<I', eip)
    changed = 0
    values = bytearray()
    for r in range(8):
        if regs[r] != case.regs[r]:
            changed |= 1 << r
            values += struct.pack('<I', regs[r])
    out.append(changed)
    out += values
    out += struct.pack('<H', eflags & 0xFFFF)
    out += struct.pack('<H', len(diffs))
    for off, data in diffs:
        out += struct.pack('<HB', off, len(data)) + data
    return bytes(out)


def main():
    if not os.path.exists(RUNNER):
        raise SystemExit('gen: build the runner first (make -C tools/x86-conformance)')
    forms = build_forms()
    os.makedirs(VECTORS, exist_ok=True)
    background = random.Random('x86-conformance:background').randbytes(DATA_SIZE)

    all_cases = []
    for form in forms:
        form.cases = form.make_cases()
        all_cases.extend(form.cases)

    blob = bytearray(b'LGXI') + struct.pack('<I', len(all_cases)) + background
    for case in all_cases:
        blob += case_bytes(case, native=True)
    proc = subprocess.run([RUNNER], input=bytes(blob), capture_output=True, check=False)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr.decode(errors='replace'))
        raise SystemExit(f'gen: the runner failed with status {proc.returncode}')
    results = parse_results(proc.stdout, len(all_cases))

    problems = []
    index = 0
    for form in forms:
        form.results = results[index : index + len(form.cases)]
        index += len(form.cases)
        for n, (case, result) in enumerate(zip(form.cases, form.results)):
            status = result[0]
            if status != 0xFF and status not in case.faults:
                problems.append(f'{form.name} case {n}: {case.code().hex()} raised vector {status}')
            if status != 0xFF:
                case.tags.add(f'#{status}')
    if problems:
        for line in problems[:40]:
            print(line, file=sys.stderr)
        raise SystemExit(f'gen: {len(problems)} cases faulted unexpectedly (generator bug)')

    groups = {}
    for form in forms:
        groups.setdefault(form.group, []).append(form)
    index_json = {
        'version': VERSION,
        'codeBase': CODE_BASE,
        'dataBase': DATA_BASE,
        'dataSize': DATA_SIZE,
        'background': 'background.bin.gz',
        'files': [],
        'forms': [],
    }
    with open(os.path.join(VECTORS, 'background.bin.gz'), 'wb') as f:
        f.write(gzip.compress(background, 9, mtime=0))
    form_id = 0
    for group, members in groups.items():
        out = bytearray(b'LGXV') + struct.pack('<IH', VERSION, len(members))
        for form in members:
            out += struct.pack('<HI', form_id, len(form.cases))
            for case, result in zip(form.cases, form.results):
                out += vector_record(case, result)
            variants = {}
            addressing = set()
            for case in form.cases:
                for tag in case.tags:
                    if ':' in tag:
                        addressing.add(tag)
                    else:
                        variants[tag] = variants.get(tag, 0) + 1
            index_json['forms'].append(
                {
                    'id': form_id,
                    'group': group,
                    'name': form.name,
                    'encoding': form.encoding,
                    'cases': len(form.cases),
                    'defined': form.mask_text,
                    'notes': form.notes,
                    'variants': dict(sorted(variants.items())),
                    'addressing': sorted(addressing),
                }
            )
            form_id += 1
        name = f'{group}.bin.gz'
        with open(os.path.join(VECTORS, name), 'wb') as f:
            f.write(gzip.compress(bytes(out), 9, mtime=0))
        index_json['files'].append({'group': group, 'file': name})
    with open(os.path.join(VECTORS, 'index.json.gz'), 'wb') as f:
        f.write(gzip.compress(json.dumps(index_json, separators=(',', ':')).encode(), 9, mtime=0))
    write_coverage(index_json)
    total = sum(len(form.cases) for form in forms)
    size = sum(os.path.getsize(os.path.join(VECTORS, e['file'])) for e in index_json['files'])
    print(f'gen: {len(forms)} forms, {total} cases, {size} bytes of vectors')


def write_coverage(index_json):
    forms = index_json['forms']
    lines = [
        '# x86 integer conformance coverage',
        '',
        'Generated by `make -C tools/x86-conformance` (gen.py); do not edit. Every case ran natively on',
        'the host processor; the expectations are what it did. "Defined flags" are the flags compared',
        'after the instruction (the SDM leaves the others undefined); "by count" means the set follows',
        'the SDM rule for the case\'s count (see notes). The variant columns count cases with a memory',
        'operand, a LOCK prefix, a segment-override prefix, 16-bit addressing (0x67), a prefix that changes',
        'nothing (0x66 on a byte form, 0x67 without a memory operand), code that straddles a page boundary',
        'and a fault (with the vector the host raised); "addr forms" counts the distinct ModRM/SIB',
        'addressing forms used.',
        '',
        f'{len(forms)} forms, {sum(f["cases"] for f in forms)} cases.',
        '',
        '| group | form | encoding | cases | defined flags | mem | lock | seg | a16 | no-op 66/67 | page-cross '
        '| addr forms | faults | notes |',
        '| --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
    ]
    for f in forms:
        v = f['variants']
        faults = ', '.join(f'{k} x{n}' for k, n in v.items() if k.startswith('#')) or '-'
        lines.append(
            f'| {f["group"]} | {f["name"]} | `{f["encoding"]}` | {f["cases"]} | {f["defined"]} | {v.get("mem", 0)} | '
            f'{v.get("lock", 0)} | {v.get("seg", 0)} | {v.get("a16", 0)} | '
            f'{v.get("o16-noop", 0) + v.get("a16-noop", 0)} | '
            f'{v.get("page-cross", 0)} | '
            f'{len(f["addressing"])} | {faults} | '
            f'{f["notes"]} |'
        )
    lines += ['', '## Addressing forms exercised by LEA', '']
    for f in forms:
        if f['name'].startswith('LEA '):
            lines.append(f'- {f["name"]}: ' + ', '.join(f['addressing']))
    with open(os.path.join(HERE, 'COVERAGE.md'), 'w') as out:
        out.write('\n'.join(lines) + '\n')


if __name__ == '__main__':
    main()
