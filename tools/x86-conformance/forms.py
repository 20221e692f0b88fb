"""The instruction forms of the x86 conformance harness.

gen.py asks build_forms() for every form; each form makes its cases (case.py) from a random generator
seeded with its own name, so adding a form never changes another form's cases. A form's generator
picks operands that lean on edge values and sets the flags the SDM defines for each case.
"""
import random

from case import (
    CODE_BASE,
    ALL, AF, CF, CS_PREFIX, DATA_BASE, DATA_END, DF, EAX, EBP, EBX, ECX, EDI, EDX, ESI, ESP, IF, LOGIC, NT,
    OF, PF, POPF_MASK, SEG_PREFIXES, SF, ZF, Case, le, mask_text, val,
)


class Form:
    def __init__(self, group, name, encoding, gen, count=212, mask=ALL, notes='', cross_page=True):
        self.group = group
        self.name = name
        self.encoding = encoding
        self.gen = gen
        self.count = count
        self.mask = mask if isinstance(mask, int) else ALL
        self.mask_text = mask if isinstance(mask, str) else mask_text(mask)
        self.notes = notes
        self.cross_page = cross_page

    def make_cases(self):
        rng = random.Random(f'x86-conformance:{self.name}:{self.encoding}')
        cases = []
        for i in range(self.count):
            c = Case(rng)
            c.mask = self.mask  # forms whose defined flags depend on the operands set it per case
            self.gen(c, i)
            c.shuffle_prefixes()
            length = len(c.code())
            if self.cross_page and length > 1 and rng.random() < 0.15:
                # Straddle the boundary of the two code pages: the fetch continues on the next page.
                c.code_offset = 0x1000 - rng.randint(1, length - 1)
                c.tags.add('page-cross')
            cases.append(c)
        return cases


FORMS = []


def form(group, name, encoding, gen, **kw):
    FORMS.append(Form(group, name, encoding, gen, **kw))


def size_name(bits):
    return {8: 'b', 16: 'w', 32: 'd'}[bits]


# =================================================================================================
# ALU: ADD OR ADC SBB AND SUB XOR CMP, TEST
# =================================================================================================
ALU_OPS = ['ADD', 'OR', 'ADC', 'SBB', 'AND', 'SUB', 'XOR', 'CMP']


def alu_mask(name):
    return LOGIC if name in ('OR', 'AND', 'XOR', 'TEST') else ALL


def related(rng, bits, other):
    """Usually an independent value; sometimes one tied to `other` (equal, negated, one off)."""
    m = (1 << bits) - 1
    r = rng.random()
    if r < 0.1:
        return other
    if r < 0.15:
        return (-other) & m
    if r < 0.2:
        return (other + rng.choice([1, -1])) & m
    return val(rng, bits)


def gen_rm_r(opc, bits, mask, writes, lockable, rm_first=True):
    """`op r/m, r` (rm_first) or `op r, r/m`."""

    def gen(c, i):
        c.opsize(bits)
        reg = c.rng.randrange(8)
        where = c.rm(opc, reg, bits, writes=writes and rm_first, lockable=lockable and rm_first)
        a = val(c.rng, bits)
        c.set_rm(where, bits, a)
        c.set_reg(reg, bits, related(c.rng, bits, a))
        c.mask = mask

    return gen


def gen_acc_imm(opc, bits, mask):
    def gen(c, i):
        c.opsize(bits)
        c.noop_prefixes()
        c.body = bytes(opc)
        a = val(c.rng, bits)
        c.set_reg(EAX, bits, a)
        c.imm(bits, related(c.rng, bits, a))
        c.mask = mask

    return gen


def gen_rm_imm(opc, digit, bits, imm_bits, mask, writes, lockable):
    def gen(c, i):
        c.opsize(bits)
        where = c.rm(opc, digit, bits, writes=writes, lockable=lockable)
        a = val(c.rng, bits)
        c.set_rm(where, bits, a)
        if imm_bits == bits:
            c.imm(imm_bits, related(c.rng, bits, a))
        else:
            c.imm(imm_bits, val(c.rng, imm_bits))
        c.mask = mask

    return gen


def alu_forms():
    for o, name in enumerate(ALU_OPS):
        m = alu_mask(name)
        w = name != 'CMP'
        form('alu', f'{name} r/m8, r8', f'{o * 8:02X} /r', gen_rm_r([o * 8], 8, m, w, w), mask=m)
        for bits in (16, 32):
            p = '66 ' if bits == 16 else ''
            form('alu', f'{name} r/m{bits}, r{bits}', f'{p}{o * 8 + 1:02X} /r', gen_rm_r([o * 8 + 1], bits, m, w, w),
                 mask=m)
        form('alu', f'{name} r8, r/m8', f'{o * 8 + 2:02X} /r', gen_rm_r([o * 8 + 2], 8, m, w, False, False), mask=m)
        for bits in (16, 32):
            p = '66 ' if bits == 16 else ''
            form('alu', f'{name} r{bits}, r/m{bits}', f'{p}{o * 8 + 3:02X} /r',
                 gen_rm_r([o * 8 + 3], bits, m, w, False, False), mask=m)
        form('alu', f'{name} AL, imm8', f'{o * 8 + 4:02X} ib', gen_acc_imm([o * 8 + 4], 8, m), mask=m)
        form('alu', f'{name} AX, imm16', f'66 {o * 8 + 5:02X} iw', gen_acc_imm([o * 8 + 5], 16, m), mask=m)
        form('alu', f'{name} EAX, imm32', f'{o * 8 + 5:02X} id', gen_acc_imm([o * 8 + 5], 32, m), mask=m)
        form('alu', f'{name} r/m8, imm8', f'80 /{o} ib', gen_rm_imm([0x80], o, 8, 8, m, w, w), mask=m)
        form('alu', f'{name} r/m8, imm8 (82)', f'82 /{o} ib', gen_rm_imm([0x82], o, 8, 8, m, w, w), mask=m,
             notes='0x82 is the 32-bit-mode alias of 0x80')
        form('alu', f'{name} r/m16, imm16', f'66 81 /{o} iw', gen_rm_imm([0x81], o, 16, 16, m, w, w), mask=m)
        form('alu', f'{name} r/m32, imm32', f'81 /{o} id', gen_rm_imm([0x81], o, 32, 32, m, w, w), mask=m)
        form('alu', f'{name} r/m16, imm8', f'66 83 /{o} ib', gen_rm_imm([0x83], o, 16, 8, m, w, w), mask=m)
        form('alu', f'{name} r/m32, imm8', f'83 /{o} ib', gen_rm_imm([0x83], o, 32, 8, m, w, w), mask=m)
    m = LOGIC
    form('alu', 'TEST r/m8, r8', '84 /r', gen_rm_r([0x84], 8, m, False, False), mask=m)
    form('alu', 'TEST r/m16, r16', '66 85 /r', gen_rm_r([0x85], 16, m, False, False), mask=m)
    form('alu', 'TEST r/m32, r32', '85 /r', gen_rm_r([0x85], 32, m, False, False), mask=m)
    form('alu', 'TEST AL, imm8', 'A8 ib', gen_acc_imm([0xA8], 8, m), mask=m)
    form('alu', 'TEST AX, imm16', '66 A9 iw', gen_acc_imm([0xA9], 16, m), mask=m)
    form('alu', 'TEST EAX, imm32', 'A9 id', gen_acc_imm([0xA9], 32, m), mask=m)
    form('alu', 'TEST r/m8, imm8', 'F6 /0 ib', gen_rm_imm([0xF6], 0, 8, 8, m, False, False), mask=m)
    form('alu', 'TEST r/m16, imm16', '66 F7 /0 iw', gen_rm_imm([0xF7], 0, 16, 16, m, False, False), mask=m)
    form('alu', 'TEST r/m32, imm32', 'F7 /0 id', gen_rm_imm([0xF7], 0, 32, 32, m, False, False), mask=m)


# =================================================================================================
# INC DEC NEG NOT
# =================================================================================================
def gen_unary(opc, digit, bits, lockable=True):
    def gen(c, i):
        c.opsize(bits)
        where = c.rm(opc, digit, bits, lockable=lockable)
        c.set_rm(where, bits, val(c.rng, bits))

    return gen


def gen_incdec_short(base, bits):
    def gen(c, i):
        c.opsize(bits)
        c.noop_prefixes()
        r = i % 8 if i < 8 else c.rng.randrange(8)
        c.body = bytes([base + r])
        c.set_reg(r, bits, val(c.rng, bits))

    return gen


def unary_forms():
    for name, base in (('INC', 0x40), ('DEC', 0x48)):
        for bits in (16, 32):
            p = '66 ' if bits == 16 else ''
            form('unary', f'{name} r{bits} (short)', f'{p}{base:02X}+r', gen_incdec_short(base, bits),
                 notes='CF preserved')
    for name, digit in (('INC', 0), ('DEC', 1)):
        form('unary', f'{name} r/m8', f'FE /{digit}', gen_unary([0xFE], digit, 8), notes='CF preserved')
        for bits in (16, 32):
            p = '66 ' if bits == 16 else ''
            form('unary', f'{name} r/m{bits}', f'{p}FF /{digit}', gen_unary([0xFF], digit, bits),
                 notes='CF preserved')
    for name, digit in (('NOT', 2), ('NEG', 3)):
        form('unary', f'{name} r/m8', f'F6 /{digit}', gen_unary([0xF6], digit, 8))
        for bits in (16, 32):
            p = '66 ' if bits == 16 else ''
            form('unary', f'{name} r/m{bits}', f'{p}F7 /{digit}', gen_unary([0xF7], digit, bits))


# =================================================================================================
# Shifts and rotates
# =================================================================================================
SHIFT_OPS = {0: 'ROL', 1: 'ROR', 2: 'RCL', 3: 'RCR', 4: 'SHL', 5: 'SHR', 7: 'SAR'}


def shift_mask(digit, bits, count):
    """Flags the SDM defines after a shift or rotate by `count` (before masking to 5 bits)."""
    n = count & 31
    if n == 0:
        return ALL  # nothing is affected
    if digit <= 3:  # rotates touch only CF and OF; OF only for 1-bit rotates
        mask = ALL & ~OF
        return mask | OF if n == 1 else mask
    mask = ALL & ~AF
    if n != 1:
        mask &= ~OF
    if digit in (4, 5) and n >= bits:
        mask &= ~CF
    return mask


def shift_count(c, i):
    if i < 40:
        return i  # every count 0-31 and some larger ones, in order
    r = c.rng.random()
    if r < 0.6:
        return c.rng.randrange(32)
    return c.rng.choice([32, 33, 63, 64, 255, 0x80, c.rng.getrandbits(8)])


def gen_shift(opc, digit, bits, how):
    def gen(c, i):
        c.opsize(bits)
        avoid = (ECX,) if how == 'cl' else ()
        where = c.rm(opc, digit, bits, avoid=avoid, lockable=False)
        c.set_rm(where, bits, val(c.rng, bits))
        if how == 'one':
            count = 1
        elif how == 'imm':
            count = shift_count(c, i)
            c.imm(8, count)
        else:
            count = shift_count(c, i)
            c.set_reg(1, 8, count)  # CL (r/m may be CL itself: the count then is its value)
            count = c.regs[ECX] & 0xFF
        c.mask = shift_mask(digit, bits, count)

    return gen


def shift_forms():
    for digit, name in SHIFT_OPS.items():
        for bits in (8, 16, 32):
            p = '66 ' if bits == 16 else ''
            o = 0 if bits == 8 else 1
            note = 'OF only for count 1; AF undefined' if digit > 3 else 'OF only for count 1; SZAP preserved'
            if digit in (4, 5):
                note += '; CF undefined for count >= width'
            form('shift', f'{name} r/m{bits}, 1', f'{p}{0xD0 + o:02X} /{digit}',
                 gen_shift([0xD0 + o], digit, bits, 'one'),
                 mask='by count', notes=note)
            form('shift', f'{name} r/m{bits}, CL', f'{p}{0xD2 + o:02X} /{digit}',
                 gen_shift([0xD2 + o], digit, bits, 'cl'),
                 mask='by count', notes=note + '; counts 0-39 in order, then random')
            form('shift', f'{name} r/m{bits}, imm8', f'{p}{0xC0 + o:02X} /{digit} ib',
                 gen_shift([0xC0 + o], digit, bits, 'imm'), mask='by count', notes=note + '; imm 0-39 then random')


def gen_shld(opc, bits, how):
    def gen(c, i):
        c.opsize(bits)
        reg = c.rng.randrange(8)
        count = shift_count(c, i) if i >= 40 else i
        n = count & 31
        big = bits == 16 and n > 16
        avoid = (ECX,) if how == 'cl' else ()
        where = c.rm(opc, reg, bits, avoid=avoid, mem=not big)
        c.set_rm(where, bits, val(c.rng, bits))
        c.set_reg(reg, bits, val(c.rng, bits))
        if how == 'imm':
            c.imm(8, count)
        else:
            c.set_reg(1, 8, count)
            count = c.regs[ECX] & 0xFF
            n = count & 31
            big = bits == 16 and n > 16
        if n == 0:
            c.mask = ALL
        elif big:
            # A 16-bit double shift by more than 16 leaves the result and the flags undefined.
            c.mask = DF
            c.undef |= 1 << where[1]
        else:
            c.mask = (ALL & ~AF) if n == 1 else (ALL & ~AF & ~OF)

    return gen


def shld_forms():
    for name, base in (('SHLD', 0xA4), ('SHRD', 0xAC)):
        for bits in (16, 32):
            p = '66 ' if bits == 16 else ''
            note = 'OF only for count 1; AF undefined'
            if bits == 16:
                note += '; count 17-31 leaves dest and flags undefined (register dest only)'
            form('shift', f'{name} r/m{bits}, r{bits}, imm8', f'{p}0F {base:02X} /r ib',
                 gen_shld([0x0F, base], bits, 'imm'), mask='by count', notes=note)
            form('shift', f'{name} r/m{bits}, r{bits}, CL', f'{p}0F {base + 1:02X} /r',
                 gen_shld([0x0F, base + 1], bits, 'cl'), mask='by count', notes=note)


# =================================================================================================
# MUL IMUL DIV IDIV
# =================================================================================================
def gen_mul1(digit, bits):
    def gen(c, i):
        c.opsize(bits)
        where = c.rm([0xF6 if bits == 8 else 0xF7], digit, bits, avoid=(EAX, EDX), writes=False)
        c.set_rm(where, bits, val(c.rng, bits))
        c.set_reg(EAX, bits, val(c.rng, bits))
        c.mask = CF | OF | DF

    return gen


def gen_imul2(bits):
    def gen(c, i):
        c.opsize(bits)
        reg = c.rng.randrange(8)
        where = c.rm([0x0F, 0xAF], reg, bits, writes=False)
        c.set_rm(where, bits, val(c.rng, bits))
        c.set_reg(reg, bits, val(c.rng, bits))
        c.mask = CF | OF | DF

    return gen


def gen_imul3(opc, bits, imm_bits):
    def gen(c, i):
        c.opsize(bits)
        reg = c.rng.randrange(8)
        where = c.rm([opc], reg, bits, writes=False)
        c.set_rm(where, bits, val(c.rng, bits))
        c.set_reg(reg, bits, val(c.rng, bits))
        c.imm(imm_bits, val(c.rng, imm_bits))
        c.mask = CF | OF | DF

    return gen


def gen_div(digit, bits):
    signed = digit == 7

    def gen(c, i):
        rng = c.rng
        c.opsize(bits)
        where = c.rm([0xF6 if bits == 8 else 0xF7], digit, bits, avoid=(EAX, EDX), writes=False)
        m = (1 << bits) - 1
        r = rng.random()
        if r < 0.12:
            d = 0
        else:
            d = val(rng, bits) or 1
        c.set_rm(where, bits, d)
        if signed:
            ds = d - (1 << bits) if d >> (bits - 1) else d
            if r < 0.3:
                # Quotient overflow: INT_MIN / -1, or a dividend far beyond the divisor.
                if rng.random() < 0.5:
                    c.set_rm(where, bits, m)
                    dividend = 1 << (2 * bits - 1)
                else:
                    dividend = (abs(ds or 1) << bits) * rng.choice([1, -1]) + rng.getrandbits(bits)
            else:
                q = rng.randrange(-(1 << (bits - 1)), 1 << (bits - 1))
                rem = rng.randrange(abs(ds)) if ds else 0
                if (q < 0) != (ds < 0) and rem and q != 0:
                    rem = -rem
                dividend = q * ds + rem if ds else rng.getrandbits(2 * bits)
            dividend &= (1 << (2 * bits)) - 1
        else:
            if r < 0.3:
                dividend = ((d or 1) << bits) + rng.getrandbits(bits)  # quotient overflow
            else:
                dividend = rng.randrange((d or 1) << bits) if d else rng.getrandbits(2 * bits)
            dividend &= (1 << (2 * bits)) - 1
        if rng.random() < 0.15:
            dividend = rng.choice([0, 1, (1 << (2 * bits)) - 1, rng.getrandbits(2 * bits)])
        if bits == 8:
            c.set_reg(EAX, 16, dividend)
        else:
            c.set_reg(EAX, bits, dividend & m)
            c.set_reg(EDX, bits, dividend >> bits)
        c.mask = DF
        c.faults = {0}

    return gen


def muldiv_forms():
    for name, digit in (('MUL', 4), ('IMUL', 5)):
        form('muldiv', f'{name} r/m8', f'F6 /{digit}', gen_mul1(digit, 8), mask=CF | OF | DF)
        form('muldiv', f'{name} r/m16', f'66 F7 /{digit}', gen_mul1(digit, 16), mask=CF | OF | DF)
        form('muldiv', f'{name} r/m32', f'F7 /{digit}', gen_mul1(digit, 32), mask=CF | OF | DF)
    form('muldiv', 'IMUL r16, r/m16', '66 0F AF /r', gen_imul2(16), mask=CF | OF | DF)
    form('muldiv', 'IMUL r32, r/m32', '0F AF /r', gen_imul2(32), mask=CF | OF | DF)
    form('muldiv', 'IMUL r16, r/m16, imm16', '66 69 /r iw', gen_imul3(0x69, 16, 16), mask=CF | OF | DF)
    form('muldiv', 'IMUL r32, r/m32, imm32', '69 /r id', gen_imul3(0x69, 32, 32), mask=CF | OF | DF)
    form('muldiv', 'IMUL r16, r/m16, imm8', '66 6B /r ib', gen_imul3(0x6B, 16, 8), mask=CF | OF | DF)
    form('muldiv', 'IMUL r32, r/m32, imm8', '6B /r ib', gen_imul3(0x6B, 32, 8), mask=CF | OF | DF)
    for name, digit in (('DIV', 6), ('IDIV', 7)):
        for bits in (8, 16, 32):
            p = '66 ' if bits == 16 else ''
            form('muldiv', f'{name} r/m{bits}', f'{p}{0xF6 if bits == 8 else 0xF7:02X} /{digit}', gen_div(digit, bits),
                 mask=DF, notes='#DE on divide by zero and quotient overflow; flags undefined')


# =================================================================================================
# BCD
# =================================================================================================
def gen_bcd(opc, imm=False):
    def gen(c, i):
        rng = c.rng
        c.opsize(8)
        c.noop_prefixes()
        c.body = bytes(opc)
        ax = rng.getrandbits(16) if rng.random() < 0.5 else (rng.randrange(10) << 8 | rng.randrange(0x100))
        c.set_reg(EAX, 16, ax)
        if imm:
            r = rng.random()
            base = 10 if r < 0.5 else (0 if (r < 0.58 and opc[0] == 0xD4) else rng.getrandbits(8))
            c.imm(8, base)
            if opc[0] == 0xD4:
                c.faults = {0}

    return gen


def bcd_forms():
    form('bcd', 'DAA', '27', gen_bcd([0x27]), mask=ALL & ~OF, notes='OF undefined')
    form('bcd', 'DAS', '2F', gen_bcd([0x2F]), mask=ALL & ~OF, notes='OF undefined')
    form('bcd', 'AAA', '37', gen_bcd([0x37]), mask=AF | CF | DF, notes='OF SF ZF PF undefined')
    form('bcd', 'AAS', '3F', gen_bcd([0x3F]), mask=AF | CF | DF, notes='OF SF ZF PF undefined')
    form('bcd', 'AAM imm8', 'D4 ib', gen_bcd([0xD4], True), mask=SF | ZF | PF | DF,
         notes='base 10 and others; base 0 raises #DE')
    form('bcd', 'AAD imm8', 'D5 ib', gen_bcd([0xD5], True), mask=SF | ZF | PF | DF, notes='base 10 and others')


# =================================================================================================
# String instructions
# =================================================================================================
def gen_string(op, bits, rep):
    size = bits // 8
    reads_si = op in ('MOVS', 'CMPS', 'LODS')
    uses_di = op in ('MOVS', 'CMPS', 'STOS', 'SCAS')
    opc = {'MOVS': 0xA4, 'CMPS': 0xA6, 'STOS': 0xAA, 'LODS': 0xAC, 'SCAS': 0xAE}[op] + (0 if bits == 8 else 1)

    def gen(c, i):
        rng = c.rng
        c.opsize(bits)
        a16 = rng.random() < 0.2
        if a16:
            c.prefixes.append(0x67)
            c.tags.add('a16')
        if rep:
            c.prefixes.append(0xF3 if rep != 'REPNE' else 0xF2)
        if rng.random() < 0.25:
            c.prefixes.append(rng.choice(SEG_PREFIXES + [CS_PREFIX]))
            c.tags.add('seg')
        c.body = bytes([opc])
        c.tags.add('mem')
        down = rng.random() < 0.5
        c.eflags = (c.eflags & ~DF) | (DF if down else 0)
        if rep:
            count = rng.choice([0, 1, 2, 3, rng.randrange(40), rng.randrange(40)])
            if rng.random() < 0.06:
                count = rng.randrange(64, 300)  # long enough for a CPU's bulk path, if it has one
        else:
            count = 1
        span = max(count, 1) * size + 24
        lo, hi = (0x8100, 0xFF00) if a16 else (DATA_BASE + 0x100, DATA_END - 0x100)

        def start():
            s = rng.randrange(lo + span, hi - span)
            if rng.random() < 0.5:
                s &= ~(size - 1)
            return s

        si, di = start(), start()
        if op == 'MOVS' and rng.random() < 0.3:
            # Overlapping source and destination: a forward copy onto itself must repeat the pattern.
            di = si + rng.choice([-1, 1]) * rng.randint(1, 3 * size)
            c.tags.add('overlap')
        if a16:
            c.set32(ESI, rng.getrandbits(16) << 16 | si)
            c.set32(EDI, rng.getrandbits(16) << 16 | di)
        else:
            c.set32(ESI, si)
            c.set32(EDI, di)
        if rep:
            c.set32(ECX, (rng.getrandbits(16) << 16 | count) if a16 else count)
        n = max(count, 1)

        def first(p):
            """The lowest address of the `n` elements that start at `p` and run in the DF direction."""
            return p - (n - 1) * size if down else p

        acc = val(rng, bits)
        c.set_reg(EAX, bits, acc)
        elems = [val(rng, bits) for _ in range(n)]
        if op == 'SCAS':
            # Mostly elements other than the accumulator, with a hit somewhere (REPNE) or a miss (REPE).
            if rep == 'REPNE':
                elems = [(e if e != acc else acc ^ 1) for e in elems]
                if rng.random() < 0.7:
                    elems[rng.randrange(n)] = acc
            else:
                elems = [acc] * n
                if rng.random() < 0.7:
                    elems[rng.randrange(n)] = acc ^ (1 << rng.randrange(bits))
        if reads_si:
            c.patch(first(si), b''.join(le(e, size) for e in (elems if not down else elems[::-1])))
        if uses_di:
            if op == 'CMPS':
                other = list(elems)
                if rep == 'REPNE':
                    other = [(e ^ 0x55) & ((1 << bits) - 1) for e in elems]
                    if rng.random() < 0.7:
                        k = rng.randrange(n)
                        other[k] = elems[k]
                elif rng.random() < 0.7:
                    other[rng.randrange(n)] ^= 1 << rng.randrange(bits)
                c.patch(first(di), b''.join(le(e, size) for e in (other if not down else other[::-1])))
            elif op == 'SCAS':
                c.patch(first(di), b''.join(le(e, size) for e in (elems if not down else elems[::-1])))

    return gen


def string_forms():
    for op in ('MOVS', 'CMPS', 'STOS', 'LODS', 'SCAS'):
        reps = [None, 'REP'] if op in ('MOVS', 'STOS', 'LODS') else [None, 'REPE', 'REPNE']
        for rep in reps:
            for bits in (8, 16, 32):
                base = {'MOVS': 0xA4, 'CMPS': 0xA6, 'STOS': 0xAA, 'LODS': 0xAC, 'SCAS': 0xAE}[op]
                enc = ('66 ' if bits == 16 else '') + ({'REP': 'F3 ', 'REPE': 'F3 ', 'REPNE': 'F2 '}.get(rep, ''))
                enc += f'{base + (0 if bits == 8 else 1):02X}'
                name = (rep + ' ' if rep else '') + op + size_name(bits).upper()
                form('string', name, enc, gen_string(op, bits, rep),
                     notes='DF both ways; counts 0-39 and some 64-299; 0x67 uses SI/DI/CX')


# =================================================================================================
# Bit tests and scans
# =================================================================================================
BT_OPS = {'BT': (0xA3, 4), 'BTS': (0xAB, 5), 'BTR': (0xB3, 6), 'BTC': (0xBB, 7)}


def gen_bt_reg(opc, bits, writes):
    def gen(c, i):
        rng = c.rng
        c.opsize(bits)
        reg = rng.randrange(8)
        if rng.random() < 0.6:
            # Memory operand with a register bit offset: the offset may reach far outside the
            # addressed word, in both directions.
            a16 = rng.random() < 0.2
            if bits == 32:
                far = 0x10000 if a16 else 0x20000
                off = rng.choice([0, 31, 32, -1, -32, -33, rng.randrange(-far, far), rng.randrange(-64, 64)])
            else:
                off = rng.choice([0, 15, 16, -1, -16, -17, rng.randrange(-0x8000, 0x8000), rng.randrange(-64, 64)])
            mid = 0xC000 if a16 else DATA_BASE + 0x8000
            ea = mid + rng.randrange(-0x400, 0x400)
            tail = c.modrm_mem(reg, ea, a16, avoid=())
            if reg in c.fixed:
                # The offset register is also an address register: take its value as the offset.
                v = c.get_reg(reg, bits)
                off = v - (1 << bits) if v >> (bits - 1) else v
                target = ea + (off >> (5 if bits == 32 else 4)) * (bits // 8)
                if not (DATA_BASE <= target and target + 4 <= DATA_END):
                    c.restart()
                    return gen(c, i)
            else:
                c.set_reg(reg, bits, off)
            c.mem_prefixes(writes, writes, a16)
            c.body = bytes([0x0F, opc]) + tail
            c.tags.add('mem')
            word = ea + (off >> (5 if bits == 32 else 4)) * (bits // 8)
            c.patch(word, le(val(rng, bits), bits // 8))
            c.patch(ea, le(val(rng, bits), bits // 8))
        else:
            where = c.rm([0x0F, opc], reg, bits, mem=False)
            c.set_rm(where, bits, val(rng, bits))
            c.set_reg(reg, bits, rng.choice([rng.getrandbits(bits), rng.randrange(bits * 2)]))
        c.mask = CF | ZF | DF

    return gen


def gen_bt_imm(digit, bits, writes):
    def gen(c, i):
        c.opsize(bits)
        where = c.rm([0x0F, 0xBA], digit, bits, writes=writes, lockable=writes)
        c.set_rm(where, bits, val(c.rng, bits))
        c.imm(8, i if i < 64 else c.rng.getrandbits(8))
        c.mask = CF | ZF | DF

    return gen


def scan_value(rng, bits):
    r = rng.random()
    if r < 0.15:
        return 0
    if r < 0.5:
        return 1 << rng.randrange(bits)
    if r < 0.7:
        return rng.getrandbits(bits) & ~((1 << rng.randrange(bits)) - 1)
    return val(rng, bits)


def gen_scan(second, bits, rep_f3):
    def gen(c, i):
        c.opsize(bits)
        reg = c.rng.randrange(8)
        where = c.rm([0x0F, second], reg, bits, writes=False)
        c.set_rm(where, bits, scan_value(c.rng, bits))
        if rep_f3:
            c.prefixes.append(0xF3)
            c.native_body = c.body
        c.mask = ZF | DF

    return gen


def bit_forms():
    for name, (opc, digit) in BT_OPS.items():
        w = name != 'BT'
        for bits in (16, 32):
            p = '66 ' if bits == 16 else ''
            form('bit', f'{name} r/m{bits}, r{bits}', f'{p}0F {opc:02X} /r', gen_bt_reg(opc, bits, w),
                 mask=CF | ZF | DF,
                 notes='memory bit offsets far outside the addressed word, both signs', count=256)
            form('bit', f'{name} r/m{bits}, imm8', f'{p}0F BA /{digit} ib', gen_bt_imm(digit, bits, w),
                 mask=CF | ZF | DF, notes='imm 0-63 in order, then random')
    for name, second in (('BSF', 0xBC), ('BSR', 0xBD)):
        for bits in (16, 32):
            p = '66 ' if bits == 16 else ''
            form('bit', f'{name} r{bits}, r/m{bits}', f'{p}0F {second:02X} /r', gen_scan(second, bits, False),
                 mask=ZF | DF, notes='source 0: destination unchanged (as the host does)')
    flags = host_cpu_flags()
    for name, second, plain, feature in (('TZCNT', 0xBC, 'BSF', 'bmi1'), ('LZCNT', 0xBD, 'BSR', 'abm')):
        label = 'BMI1' if feature == 'bmi1' else 'LZCNT (abm)'
        host = (f'the host has {label} and would run this as {name}' if feature in flags
                else f'the host lacks {label} and runs this as {plain} anyway')
        for bits in (16, 32):
            p = '66 ' if bits == 16 else ''
            form('bit', f'F3 0F {second:02X} r{bits}, r/m{bits} (as {plain})', f'{p}F3 0F {second:02X} /r',
                 gen_scan(second, bits, True), mask=ZF | DF,
                 notes=f'{host}; expectations come from plain {plain} (run natively with F3 dropped), '
                 'which is what an i686 does with the ignored prefix')


def host_cpu_flags():
    """The host processor's feature flags, as Linux lists them (LZCNT is part of `abm`)."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('flags'):
                    return set(line.split(':', 1)[1].split())
    except OSError:
        pass
    return set()


# =================================================================================================
# SETcc CMOVcc
# =================================================================================================
CC = ['O', 'NO', 'B', 'AE', 'E', 'NE', 'BE', 'A', 'S', 'NS', 'P', 'NP', 'L', 'GE', 'LE', 'G']


def gen_setcc(cc):
    def gen(c, i):
        c.opsize(8)
        where = c.rm([0x0F, 0x90 + cc], c.rng.randrange(8), 8)
        c.set_rm(where, 8, val(c.rng, 8))

    return gen


def gen_cmov(cc, bits):
    def gen(c, i):
        c.opsize(bits)
        reg = c.rng.randrange(8)
        where = c.rm([0x0F, 0x40 + cc], reg, bits, writes=False)
        c.set_rm(where, bits, val(c.rng, bits))
        c.set_reg(reg, bits, val(c.rng, bits))

    return gen


def cond_forms():
    for cc, name in enumerate(CC):
        form('cond', f'SET{name} r/m8', f'0F {0x90 + cc:02X} /r', gen_setcc(cc))
    for cc, name in enumerate(CC):
        for bits in (16, 32):
            p = '66 ' if bits == 16 else ''
            form('cond', f'CMOV{name} r{bits}, r/m{bits}', f'{p}0F {0x40 + cc:02X} /r', gen_cmov(cc, bits))


# =================================================================================================
# CMPXCHG CMPXCHG8B XADD XCHG BSWAP
# =================================================================================================
def gen_cmpxchg(bits):
    def gen(c, i):
        rng = c.rng
        c.opsize(bits)
        reg = rng.randrange(8)
        where = c.rm([0x0F, 0xB0 if bits == 8 else 0xB1], reg, bits, avoid=(EAX,), lockable=True)
        d = val(rng, bits)
        c.set_rm(where, bits, d)
        c.set_reg(reg, bits, val(rng, bits))
        c.set_reg(EAX, bits, d if rng.random() < 0.5 else related(rng, bits, d))

    return gen


def gen_cmpxchg8b(c, i):
    rng = c.rng
    a16 = rng.random() < 0.2
    ea = c.pick_ea(8, a16)
    tail = c.modrm_mem(1, ea, a16, avoid=(EAX, EDX, EBX, ECX))
    c.mem_prefixes(True, True, a16)
    c.tags.add('mem')
    c.body = bytes([0x0F, 0xC7]) + tail
    d = rng.getrandbits(64) if rng.random() < 0.7 else rng.choice([0, (1 << 64) - 1, 1 << 63])
    c.patch(ea, le(d, 8))
    r = rng.random()
    cmp = d if r < 0.5 else (d ^ (1 << rng.randrange(64)) if r < 0.75 else rng.getrandbits(64))
    c.set32(EAX, cmp)
    c.set32(EDX, cmp >> 32)
    c.set32(EBX, rng.getrandbits(32))
    c.set32(ECX, rng.getrandbits(32))


def gen_xadd(bits):
    def gen(c, i):
        c.opsize(bits)
        reg = c.rng.randrange(8)
        where = c.rm([0x0F, 0xC0 if bits == 8 else 0xC1], reg, bits, lockable=True)
        a = val(c.rng, bits)
        c.set_rm(where, bits, a)
        c.set_reg(reg, bits, related(c.rng, bits, a))

    return gen


def gen_xchg(bits):
    def gen(c, i):
        c.opsize(bits)
        reg = c.rng.randrange(8)
        where = c.rm([0x86 if bits == 8 else 0x87], reg, bits, lockable=True)
        c.set_rm(where, bits, val(c.rng, bits))
        c.set_reg(reg, bits, val(c.rng, bits))

    return gen


def gen_xchg_short(bits):
    def gen(c, i):
        c.opsize(bits)
        c.noop_prefixes()
        r = i % 8 if i < 16 else c.rng.randrange(8)
        c.body = bytes([0x90 + r])

    return gen


def gen_bswap(c, i):
    c.noop_prefixes()
    r = i % 8 if i < 16 else c.rng.randrange(8)
    c.body = bytes([0x0F, 0xC8 + r])
    c.set32(r, val(c.rng, 32))


def atomic_forms():
    form('atomic', 'CMPXCHG r/m8, r8', '0F B0 /r', gen_cmpxchg(8))
    form('atomic', 'CMPXCHG r/m16, r16', '66 0F B1 /r', gen_cmpxchg(16))
    form('atomic', 'CMPXCHG r/m32, r32', '0F B1 /r', gen_cmpxchg(32))
    form('atomic', 'CMPXCHG8B m64', '0F C7 /1', gen_cmpxchg8b, notes='ZF set; others preserved')
    form('atomic', 'XADD r/m8, r8', '0F C0 /r', gen_xadd(8))
    form('atomic', 'XADD r/m16, r16', '66 0F C1 /r', gen_xadd(16))
    form('atomic', 'XADD r/m32, r32', '0F C1 /r', gen_xadd(32))
    form('atomic', 'XCHG r/m8, r8', '86 /r', gen_xchg(8))
    form('atomic', 'XCHG r/m16, r16', '66 87 /r', gen_xchg(16))
    form('atomic', 'XCHG r/m32, r32', '87 /r', gen_xchg(32))
    form('atomic', 'XCHG AX, r16', '66 90+r', gen_xchg_short(16), notes='66 90 is a NOP')
    form('atomic', 'XCHG EAX, r32', '90+r', gen_xchg_short(32), notes='90 is NOP')
    form('atomic', 'BSWAP r32', '0F C8+r', gen_bswap)


# =================================================================================================
# MOV MOVZX MOVSX LEA XLAT, conversions
# =================================================================================================
def gen_mov_rm(opc, bits, to_rm):
    def gen(c, i):
        c.opsize(bits)
        reg = c.rng.randrange(8)
        where = c.rm([opc], reg, bits, writes=to_rm)
        c.set_rm(where, bits, val(c.rng, bits))
        c.set_reg(reg, bits, val(c.rng, bits))

    return gen


def gen_mov_imm_short(base, bits):
    def gen(c, i):
        c.opsize(bits)
        c.noop_prefixes()
        r = i % 8 if i < 16 else c.rng.randrange(8)
        c.body = bytes([base + r])
        c.imm(bits, val(c.rng, bits))

    return gen


def gen_mov_moffs(opc, bits):
    def gen(c, i):
        rng = c.rng
        c.opsize(bits)
        a16 = rng.random() < 0.25
        ea = c.pick_ea(bits // 8, a16)
        c.mem_prefixes(opc >= 0xA2, False, a16)
        if a16:
            c.tags.add('a16')
        c.tags.add('mem')
        c.body = bytes([opc]) + le(ea, 2 if a16 else 4)
        c.patch(ea, le(val(rng, bits), bits // 8))
        c.set_reg(EAX, bits, val(rng, bits))

    return gen


def gen_movx(second, dbits, sbits):
    def gen(c, i):
        c.opsize(dbits)
        reg = c.rng.randrange(8)
        where = c.rm([0x0F, second], reg, sbits, writes=False)
        c.set_rm(where, sbits, val(c.rng, sbits))

    return gen


def gen_lea(dbits, a16):
    def gen(c, i):
        rng = c.rng
        c.opsize(dbits)
        if a16:
            c.prefixes.append(0x67)
        reg = rng.randrange(8)
        # Registers and displacement are random; the address is whatever they make.
        for r in range(8):
            if rng.random() < 0.3:
                c.regs[r] = val(rng, 32)
        c.body = bytes([0x8D]) + c.modrm_mem(reg, 0, a16, free=True)
        if rng.random() < 0.2:
            c.prefixes.append(rng.choice(SEG_PREFIXES + [CS_PREFIX]))
            c.tags.add('seg')

    return gen


def gen_xlat(c, i):
    rng = c.rng
    c.opsize(8)
    a16 = rng.random() < 0.25
    if a16:
        c.prefixes.append(0x67)
        c.tags.add('a16')
    if rng.random() < 0.25:
        c.prefixes.append(rng.choice(SEG_PREFIXES + [CS_PREFIX]))
        c.tags.add('seg')
    c.body = bytes([0xD7])
    c.tags.add('mem')
    al = val(rng, 8)
    c.set_reg(0, 8, al)
    table = rng.randrange(0x8100, 0xFE00) if a16 else rng.randrange(DATA_BASE + 0x100, DATA_END - 0x200)
    c.set32(EBX, (rng.getrandbits(16) << 16 | table) if a16 else table)
    c.patch(table + al, bytes([rng.getrandbits(8)]))


def gen_simple(opc, bits=32):
    def gen(c, i):
        c.opsize(bits)
        c.noop_prefixes()
        c.body = bytes(opc)
        c.set32(EAX, val(c.rng, 32))

    return gen


def move_forms():
    form('move', 'MOV r/m8, r8', '88 /r', gen_mov_rm(0x88, 8, True))
    form('move', 'MOV r/m16, r16', '66 89 /r', gen_mov_rm(0x89, 16, True))
    form('move', 'MOV r/m32, r32', '89 /r', gen_mov_rm(0x89, 32, True))
    form('move', 'MOV r8, r/m8', '8A /r', gen_mov_rm(0x8A, 8, False))
    form('move', 'MOV r16, r/m16', '66 8B /r', gen_mov_rm(0x8B, 16, False))
    form('move', 'MOV r32, r/m32', '8B /r', gen_mov_rm(0x8B, 32, False))
    form('move', 'MOV r8, imm8', 'B0+r ib', gen_mov_imm_short(0xB0, 8))
    form('move', 'MOV r16, imm16', '66 B8+r iw', gen_mov_imm_short(0xB8, 16))
    form('move', 'MOV r32, imm32', 'B8+r id', gen_mov_imm_short(0xB8, 32))
    form('move', 'MOV r/m8, imm8', 'C6 /0 ib', gen_rm_imm([0xC6], 0, 8, 8, ALL, True, False))
    form('move', 'MOV r/m16, imm16', '66 C7 /0 iw', gen_rm_imm([0xC7], 0, 16, 16, ALL, True, False))
    form('move', 'MOV r/m32, imm32', 'C7 /0 id', gen_rm_imm([0xC7], 0, 32, 32, ALL, True, False))
    form('move', 'MOV AL, moffs8', 'A0', gen_mov_moffs(0xA0, 8))
    form('move', 'MOV AX, moffs16', '66 A1', gen_mov_moffs(0xA1, 16))
    form('move', 'MOV EAX, moffs32', 'A1', gen_mov_moffs(0xA1, 32))
    form('move', 'MOV moffs8, AL', 'A2', gen_mov_moffs(0xA2, 8))
    form('move', 'MOV moffs16, AX', '66 A3', gen_mov_moffs(0xA3, 16))
    form('move', 'MOV moffs32, EAX', 'A3', gen_mov_moffs(0xA3, 32))
    form('move', 'MOVZX r16, r/m8', '66 0F B6 /r', gen_movx(0xB6, 16, 8))
    form('move', 'MOVZX r32, r/m8', '0F B6 /r', gen_movx(0xB6, 32, 8))
    form('move', 'MOVZX r16, r/m16', '66 0F B7 /r', gen_movx(0xB7, 16, 16))
    form('move', 'MOVZX r32, r/m16', '0F B7 /r', gen_movx(0xB7, 32, 16))
    form('move', 'MOVSX r16, r/m8', '66 0F BE /r', gen_movx(0xBE, 16, 8))
    form('move', 'MOVSX r32, r/m8', '0F BE /r', gen_movx(0xBE, 32, 8))
    form('move', 'MOVSX r16, r/m16', '66 0F BF /r', gen_movx(0xBF, 16, 16))
    form('move', 'MOVSX r32, r/m16', '0F BF /r', gen_movx(0xBF, 32, 16))
    form('move', 'LEA r32, m (32-bit addressing)', '8D /r', gen_lea(32, False), count=1024,
         notes='every mod/rm, SIB with every scale, disp8/disp32')
    form('move', 'LEA r16, m (32-bit addressing)', '66 8D /r', gen_lea(16, False), count=512)
    form('move', 'LEA r32, m (16-bit addressing)', '67 8D /r', gen_lea(32, True), count=512,
         notes='every mod/rm of 16-bit addressing')
    form('move', 'LEA r16, m (16-bit addressing)', '66 67 8D /r', gen_lea(16, True), count=256)
    form('move', 'XLAT', 'D7', gen_xlat)
    form('move', 'CBW', '66 98', gen_simple([0x98], 16))
    form('move', 'CWDE', '98', gen_simple([0x98]))
    form('move', 'CWD', '66 99', gen_simple([0x99], 16))
    form('move', 'CDQ', '99', gen_simple([0x99]))


# =================================================================================================
# Stack: PUSH POP PUSHA POPA PUSHF POPF ENTER LEAVE
# =================================================================================================
def stack_at(c, room_below=0x200, room_above=0x200):
    sp = c.rng.randrange(DATA_BASE + room_below, DATA_END - room_above)
    if c.rng.random() < 0.85:
        sp &= ~3
    c.set32(ESP, sp)
    return sp


def fill_stack(c, sp, nbytes):
    c.patch(sp, bytes(c.rng.getrandbits(8) for _ in range(nbytes)))


def gen_push_reg(bits):
    def gen(c, i):
        c.opsize(bits)
        c.noop_prefixes()
        stack_at(c)
        r = i % 8 if i < 16 else c.rng.randrange(8)
        c.body = bytes([0x50 + r])
        if r != ESP:
            c.set32(r, val(c.rng, 32))

    return gen


def gen_pop_reg(bits):
    def gen(c, i):
        c.opsize(bits)
        c.noop_prefixes()
        sp = stack_at(c)
        r = i % 8 if i < 16 else c.rng.randrange(8)
        c.body = bytes([0x58 + r])
        c.patch(sp, le(val(c.rng, bits), bits // 8))

    return gen


def gen_push_imm(opc, bits, imm_bits):
    def gen(c, i):
        c.opsize(bits)
        c.noop_prefixes()
        stack_at(c)
        c.body = bytes([opc])
        c.imm(imm_bits, val(c.rng, imm_bits))

    return gen


def gen_push_pop_mem(bits, push):
    size = bits // 8

    def gen(c, i):
        rng = c.rng
        c.opsize(bits)
        digit = 6 if push else 0
        opc = 0xFF if push else 0x8F
        if rng.random() < 0.15:
            # [ESP + disp8]: PUSH addresses with ESP before the push, POP with ESP after the pop.
            sp = stack_at(c)
            disp = rng.randrange(-0x40, 0x40)
            ea = sp + disp + (0 if push else size)
            c.body = bytes([opc, 0x44 | digit << 3, 0x24, disp & 0xFF])
            c.mem_prefixes(not push, False, False)
            c.tags.add('esp-base')
        else:
            stack_at(c)
            a16 = rng.random() < 0.2
            ea = c.pick_ea(size, a16)
            tail = c.modrm_mem(digit, ea, a16, avoid=(ESP,))
            c.mem_prefixes(not push, False, a16)
            c.body = bytes([opc]) + tail
        c.tags.add('mem')
        if push:
            c.patch(ea, le(val(rng, bits), size))
        else:
            c.patch(c.regs[ESP], le(val(rng, bits), size))

    return gen


def gen_pusha(bits):
    def gen(c, i):
        c.opsize(bits)
        c.noop_prefixes()
        stack_at(c, room_below=0x40)
        c.body = bytes([0x60])

    return gen


def gen_popa(bits):
    def gen(c, i):
        c.opsize(bits)
        c.noop_prefixes()
        sp = stack_at(c, room_above=0x40)
        fill_stack(c, sp, bits)
        c.body = bytes([0x61])

    return gen


def gen_pushf(bits):
    def gen(c, i):
        c.opsize(bits)
        c.noop_prefixes()
        stack_at(c)
        c.body = bytes([0x9C])

    return gen


def gen_popf(bits):
    def gen(c, i):
        rng = c.rng
        c.opsize(bits)
        c.noop_prefixes()
        sp = stack_at(c)
        # Flags CPL 3 may change, reserved bits that must read back fixed, IF set and IOPL 0 (so a CPU
        # at CPL 0 keeps the same values), TF and AC clear.
        image = (rng.getrandbits(16) & (ALL | NT | 0x802A)) | IF
        if bits == 32:
            image |= rng.getrandbits(16) << 16 & ~0x3F0000  # bits 16-21 (RF VM AC VIF VIP ID) stay clear
        c.patch(sp, le(image, bits // 8))
        c.body = bytes([0x9D])
        c.mask = POPF_MASK

    return gen


def gen_enter(bits):
    def gen(c, i):
        rng = c.rng
        c.opsize(bits)
        c.noop_prefixes()
        level = i % 34 if i < 68 else rng.getrandbits(8)
        n = level & 31
        sp = stack_at(c, room_below=0x2000, room_above=0x100)
        bp = rng.randrange(DATA_BASE + 0x100 + n * 4, DATA_END - 0x100)
        c.set32(EBP, bp)
        size = rng.choice([0, 4, 8, 0x10, rng.getrandbits(8), rng.getrandbits(12)])
        if sp - 4 * (n + 1) - size < DATA_BASE:
            size = 0
        c.body = bytes([0xC8]) + le(size, 2) + bytes([level])
        fill_stack(c, bp - 4 * n - 4, 4 * n + 4)

    return gen


def gen_leave(bits):
    def gen(c, i):
        rng = c.rng
        c.opsize(bits)
        c.noop_prefixes()
        stack_at(c)
        bp = rng.randrange(DATA_BASE + 0x100, DATA_END - 0x100)
        if rng.random() < 0.8:
            bp &= ~3
        c.set32(EBP, bp)
        c.patch(bp, le(val(rng, bits), bits // 8))
        c.body = bytes([0xC9])

    return gen


def stack_forms():
    for bits in (16, 32):
        p = '66 ' if bits == 16 else ''
        w = 'iw' if bits == 16 else 'id'
        form('stack', f'PUSH r{bits}', f'{p}50+r', gen_push_reg(bits), notes='PUSH ESP pushes the old value')
        form('stack', f'POP r{bits}', f'{p}58+r', gen_pop_reg(bits))
        form('stack', f'PUSH imm8 ({bits}-bit)', f'{p}6A ib', gen_push_imm(0x6A, bits, 8))
        form('stack', f'PUSH imm{bits}', f'{p}68 {w}', gen_push_imm(0x68, bits, bits))
        form('stack', f'PUSH r/m{bits}', f'{p}FF /6', gen_push_pop_mem(bits, True), notes='memory operands, [ESP+d8]')
        form('stack', f'POP r/m{bits}', f'{p}8F /0', gen_push_pop_mem(bits, False),
             notes='memory operands; [ESP+d8] uses ESP after the pop')
        form('stack', f'PUSHA ({bits}-bit)', f'{p}60', gen_pusha(bits))
        form('stack', f'POPA ({bits}-bit)', f'{p}61', gen_popa(bits))
        form('stack', f'PUSHF ({bits}-bit)', f'{p}9C', gen_pushf(bits))
        form('stack', f'POPF ({bits}-bit)', f'{p}9D', gen_popf(bits), mask=POPF_MASK,
             notes='images keep IF=1 IOPL=0 TF=0 AC=0; reserved bits random')
        form('stack', f'ENTER ({bits}-bit)', f'{p}C8 iw ib', gen_enter(bits), notes='levels 0-33 in order, then random')
        form('stack', f'LEAVE ({bits}-bit)', f'{p}C9', gen_leave(bits))


# =================================================================================================
# Flag instructions
# =================================================================================================
def gen_flagop(opc):
    def gen(c, i):
        c.opsize(8)
        c.noop_prefixes()
        c.body = bytes([opc])

    return gen


def flag_forms():
    form('flags', 'LAHF', '9F', gen_flagop(0x9F))
    form('flags', 'SAHF', '9E', gen_flagop(0x9E))
    for name, opc in (('CLC', 0xF8), ('STC', 0xF9), ('CMC', 0xF5), ('CLD', 0xFC), ('STD', 0xFD)):
        form('flags', name, f'{opc:02X}', gen_flagop(opc))


# =================================================================================================
# Encodings that raise #UD at CPL 3 and CPL 0 alike
# =================================================================================================
def gen_ud(c, i):
    rng = c.rng
    kind = i % 5
    c.faults = {6}
    if kind == 0:
        # LOCK on a register destination.
        o = rng.choice([0, 1, 2, 3, 4, 5, 6])
        c.prefixes.append(0xF0)
        c.body = bytes([o * 8 + rng.choice([0, 1]), 0xC0 | rng.randrange(64)])
    elif kind == 1:
        # LOCK on an instruction that cannot be locked (MOV, CMP, TEST) with a memory operand.
        opc = rng.choice([0x88, 0x89, 0x8B, 0x38, 0x39, 0x84, 0x85])
        ea = c.pick_ea(4)
        c.prefixes.append(0xF0)
        c.body = bytes([opc]) + c.modrm_mem(rng.randrange(8), ea, False)
    elif kind == 2:
        # LEA with a register operand.
        c.body = bytes([0x8D, 0xC0 | rng.randrange(64)])
    elif kind == 3:
        # CMPXCHG8B with a register operand.
        c.body = bytes([0x0F, 0xC7, 0xC8 | rng.randrange(8)])
    else:
        c.body = bytes([0x0F, 0x0B])  # UD2
    if rng.random() < 0.3:
        c.prefixes.append(0x66)


def ud_forms():
    form('ud', '#UD encodings', 'F0 reg-dest, F0 MOV/CMP/TEST, 8D mod=3, 0F C7 mod=3, 0F 0B', gen_ud,
         notes='LOCK misuse, LEA/CMPXCHG8B register operands, UD2')


# =================================================================================================
# BOUND ARPL SALC and the no-operation encodings
# =================================================================================================
def gen_bound(bits):
    size = bits // 8

    def gen(c, i):
        rng = c.rng
        c.opsize(bits)
        reg = rng.randrange(8)
        where = c.rm([0x62], reg, bits, writes=False, regs=False, size=2 * size)
        lo = val(rng, bits)
        hi = val(rng, bits) if rng.random() < 0.3 else (lo + rng.randrange(1 << (bits - 2))) & ((1 << bits) - 1)
        c.patch(where[1], le(lo, size) + le(hi, size))
        sl = lo - (1 << bits) if lo >> (bits - 1) else lo
        sh = hi - (1 << bits) if hi >> (bits - 1) else hi
        r = rng.random()
        if r < 0.2:
            index = sl
        elif r < 0.4:
            index = sh
        elif r < 0.55:
            index = sl - 1
        elif r < 0.7:
            index = sh + 1
        elif sh >= sl:
            index = rng.randint(sl, sh)
        else:
            index = val(rng, bits)
        c.set_reg(reg, bits, index)
        c.faults = {5}

    return gen


def gen_arpl(c, i):
    rng = c.rng
    reg = rng.randrange(8)
    where = c.rm([0x63], reg, 16)
    c.set_rm(where, 16, rng.getrandbits(16))
    c.set_reg(reg, 16, rng.getrandbits(16))


def gen_salc(c, i):
    c.opsize(8)
    c.noop_prefixes()
    c.body = bytes([0xD6])


def gen_nop_rm(second):
    def gen(c, i):
        rng = c.rng
        digit = rng.randrange(4) if second == 0x18 else rng.randrange(8)
        # The operand is never accessed; prefetch hints (0F 18) take memory operands only.
        c.rm([0x0F, second], digit, 32, writes=False, regs=second != 0x18)
        if rng.random() < 0.2:
            c.prefixes.append(0x66)

    return gen


def gen_pause(c, i):
    c.noop_prefixes()
    c.prefixes.append(0xF3)
    c.body = bytes([0x90])


def misc_forms():
    form('misc', 'BOUND r16, m16&16', '66 62 /r', gen_bound(16), notes='#BR (vector 5) when out of bounds')
    form('misc', 'BOUND r32, m32&32', '62 /r', gen_bound(32), notes='#BR (vector 5) when out of bounds')
    form('misc', 'ARPL r/m16, r16', '63 /r', gen_arpl, notes='ZF set when the RPL is raised')
    form('misc', 'SALC', 'D6', gen_salc, notes='undocumented: AL = CF ? FF : 00')
    form('misc', 'NOP r/m32', '0F 1F /r', gen_nop_rm(0x1F), notes='operand not accessed')
    for second in range(0x19, 0x1F):
        form('misc', f'hint NOP 0F {second:02X}', f'0F {second:02X} /r', gen_nop_rm(second),
             notes='reserved hint NOP: operand not accessed')
    form('misc', 'PREFETCH hints', '0F 18 /0-3', gen_nop_rm(0x18), notes='no architectural effect')
    form('misc', 'PAUSE', 'F3 90', gen_pause, notes='a NOP on an i686')


# =================================================================================================
# Control transfers that land on the end of the case
# =================================================================================================
# Every target is the address just past the case's bytes, where the native run's capture tail starts
# and the replay stops, so a transfer taken or not ends in the same place. Taken short branches skip
# a MOV CL, imm8, which shows whether the branch was taken.
SKIP_MOV_CL = 0xB1


def case_end(c, tail_len=0):
    """The address after the case's bytes, once `tail_len` more bytes are appended."""
    return CODE_BASE + len(c.prefixes) + len(c.body) + tail_len


def gen_branch(kind):
    def gen(c, i):
        rng = c.rng
        if kind in ('call32', 'jmp8', 'jmp32'):
            c.noop_prefixes()
        elif rng.random() < 0.1:
            c.prefixes.append(rng.choice(SEG_PREFIXES + [CS_PREFIX]))  # 0x67 is not a no-op here
            c.tags.add('seg')
        skip = bytes([SKIP_MOV_CL, rng.getrandbits(8)])
        if kind == 'call32':
            c.body = bytes([0xE8]) + le(2 if rng.random() < 0.7 else 0, 4)
            if c.body[1] == 2:
                c.body += skip
            stack_at(c)
        elif kind == 'jmp8':
            c.body = bytes([0xEB, 2]) + skip
        elif kind == 'jmp32':
            c.body = bytes([0xE9]) + le(2, 4) + skip
        elif kind in ('loop', 'loope', 'loopne', 'jecxz'):
            opc = {'loop': 0xE2, 'loope': 0xE1, 'loopne': 0xE0, 'jecxz': 0xE3}[kind]
            a16 = rng.random() < 0.3
            if a16:
                c.prefixes.append(0x67)  # CX instead of ECX
                c.tags.add('a16')
            count = rng.choice([0, 1, 2, 0x10000, 0x10001, 0xFFFFFFFF, rng.getrandbits(32), rng.randrange(4)])
            c.set32(ECX, count)
            c.body = bytes([opc, 2]) + skip
        c.mask = ALL

    return gen


def gen_indirect(kind):
    def gen(c, i):
        rng = c.rng
        sp = stack_at(c)
        if kind in ('call', 'jmp'):
            digit = 2 if kind == 'call' else 4
            reg = digit
            where = c.rm([0xFF], reg, 32, writes=False, avoid=(ESP,))
            end = case_end(c)
            if where[0] == 'mem':
                c.patch(where[1], le(end, 4))
            else:
                c.regs[where[1]] = end
                if where[1] == ESP:
                    # CALL ESP pushes onto the stack it jumps through; keep the stack in the region.
                    c.restart()
                    return gen(c, i)
        elif kind == 'ret':
            c.noop_prefixes()
            c.body = bytes([0xC3])
            c.patch(sp, le(case_end(c), 4))
        else:
            c.noop_prefixes()
            imm = rng.choice([0, 4, 8, 0x100, rng.getrandbits(8), rng.getrandbits(12)])
            c.body = bytes([0xC2]) + le(imm, 2)
            c.patch(sp, le(case_end(c), 4))
        c.mask = ALL

    return gen


def control_forms():
    form('control', 'CALL rel32', 'E8 cd', gen_branch('call32'), notes='to the next instruction or over MOV CL')
    form('control', 'JMP rel8', 'EB cb', gen_branch('jmp8'))
    form('control', 'JMP rel32', 'E9 cd', gen_branch('jmp32'))
    form('control', 'LOOP rel8', 'E2 cb', gen_branch('loop'), notes='ECX edge counts; 0x67 uses CX')
    form('control', 'LOOPE rel8', 'E1 cb', gen_branch('loope'), notes='ECX edge counts; 0x67 uses CX')
    form('control', 'LOOPNE rel8', 'E0 cb', gen_branch('loopne'), notes='ECX edge counts; 0x67 uses CX')
    form('control', 'JECXZ rel8', 'E3 cb', gen_branch('jecxz'), notes='0x67 makes it JCXZ')
    # These name their target absolutely (the end of the case at offset 0), so they do not straddle.
    form('control', 'CALL r/m32', 'FF /2', gen_indirect('call'), cross_page=False)
    form('control', 'JMP r/m32', 'FF /4', gen_indirect('jmp'), cross_page=False)
    form('control', 'RET', 'C3', gen_indirect('ret'), cross_page=False)
    form('control', 'RET imm16', 'C2 iw', gen_indirect('retn'), cross_page=False)


# =================================================================================================
# Sequences: a flag producer followed by a flag consumer
# =================================================================================================
# A CPU that computes flags lazily must get them right when a later instruction reads them, not only
# when the test asks for EFLAGS. Each case is a producer (ALU, INC/DEC, NEG, shift, IMUL, BT, SAHF)
# and a consumer that reads only flags the producer defined.
CC_READS = [OF, OF, CF, CF, ZF, ZF, CF | ZF, CF | ZF, SF, SF, PF, PF, SF | OF, SF | OF, ZF | SF | OF, ZF | SF | OF]
SEQ_REGS = [EAX, ECX, EDX, EBX, EBP, ESI, EDI]  # never ESP: PUSHF consumers need the stack


def producer(c):
    """Appends a flag-producing instruction on registers; returns the flags it defines."""
    rng = c.rng
    kind = rng.randrange(8)
    bits = rng.choice([8, 16, 32, 32])
    pre = b'\x66' if bits == 16 else b''
    r8 = [0, 1, 2, 3, 4, 5, 6, 7] if bits == 8 else SEQ_REGS
    a, b = rng.choice(r8), rng.choice(r8)
    w = 0 if bits == 8 else 1
    for r in {a & 3 if bits == 8 else a, b & 3 if bits == 8 else b}:
        c.regs[r] = val(rng, 32)
    if bits == 8:
        c.set_reg(a, 8, val(rng, 8))
        c.set_reg(b, 8, related(rng, 8, c.get_reg(a, 8)))
    else:
        c.set_reg(b, bits, related(rng, bits, c.get_reg(a, bits)))
    if kind <= 1:
        op = rng.randrange(8)
        c.body += pre + bytes([op * 8 + w, 0xC0 | b << 3 | a])
        return alu_mask(ALU_OPS[op])
    if kind == 2:
        c.body += pre + bytes([0x84 + w, 0xC0 | b << 3 | a])
        return LOGIC
    if kind == 3:
        c.body += pre + bytes([0xFE + w, 0xC0 | rng.randrange(2) << 3 | a])  # INC/DEC
        return ALL
    if kind == 4:
        c.body += pre + bytes([0xF6 + w, 0xC0 | 3 << 3 | a])  # NEG
        return ALL
    if kind == 5:
        digit = rng.choice(list(SHIFT_OPS))
        count = rng.choice([0, 1, 1, 2, rng.randrange(32), rng.getrandbits(8)])
        c.body += pre + bytes([0xC0 + w, 0xC0 | digit << 3 | a, count])
        return shift_mask(digit, bits, count)
    if kind == 6 and bits != 8:
        c.body += pre + bytes([0x0F, 0xAF, 0xC0 | a << 3 | b])  # IMUL
        return CF | OF | DF
    if kind == 6:
        c.body += bytes([0x9E])  # SAHF: SF ZF AF PF CF from AH, OF kept
        return ALL
    c.body += (b'\x66' if bits == 16 else b'') + bytes([0x0F, 0xBA, 0xC0 | 4 << 3 | (a if bits != 8 else a & 3),
                                                       rng.getrandbits(8)])  # BT
    return CF | ZF | DF


def gen_seq(consumer):
    def gen(c, i):
        rng = c.rng
        needs = {'lahf': SF | ZF | AF | PF | CF, 'pushf': ALL, 'adc': CF, 'rcl': CF}.get(consumer, 0)
        while True:
            c.body = b''
            defined = producer(c)
            if defined & needs == needs:
                break
        if consumer in ('setcc', 'cmov', 'jcc8', 'jcc32'):
            choices = [cc for cc in range(16) if CC_READS[cc] & defined == CC_READS[cc]]
            cc = rng.choice(choices)
            r = rng.choice(SEQ_REGS)
            if consumer == 'setcc':
                c.body += bytes([0x0F, 0x90 + cc, 0xC0 | rng.randrange(8)])
            elif consumer == 'cmov':
                c.body += bytes([0x0F, 0x40 + cc, 0xC0 | r << 3 | rng.choice(SEQ_REGS)])
            elif consumer == 'jcc8':
                c.body += bytes([0x70 + cc, 0x02, 0xB1, rng.getrandbits(8)])  # over MOV CL, imm8
            else:
                c.body += bytes([0x0F, 0x80 + cc, 0x02, 0, 0, 0, 0xB1, rng.getrandbits(8)])
            c.mask = defined
        elif consumer == 'adc':
            op = rng.choice([2, 3])  # ADC SBB
            c.body += bytes([op * 8 + 1, 0xC0 | rng.choice(SEQ_REGS) << 3 | rng.choice(SEQ_REGS)])
            c.mask = ALL
        elif consumer == 'lahf':
            c.body += bytes([0x9F])
            c.mask = defined
        elif consumer == 'pushf':
            c.body += bytes([0x9C])
            c.mask = ALL
        else:
            digit = rng.choice([2, 3])  # RCL RCR by 1
            c.body += bytes([0xD1, 0xC0 | digit << 3 | rng.choice(SEQ_REGS)])
            c.mask = (defined & (SF | ZF | AF | PF)) | CF | OF | DF
        if rng.random() < 0.5:
            # A third instruction: the consumer's flags feed one more SETcc.
            cc = rng.randrange(16)
            if CC_READS[cc] & c.mask == CC_READS[cc]:
                c.body += bytes([0x0F, 0x90 + cc, 0xC0 | rng.randrange(8)])

    return gen


def seq_forms():
    for consumer, name, enc in (
        ('setcc', 'producer; SETcc', '... 0F 9x'),
        ('cmov', 'producer; CMOVcc', '... 0F 4x'),
        ('jcc8', 'producer; Jcc rel8 over MOV CL', '... 7x 02 B1 ib'),
        ('jcc32', 'producer; Jcc rel32 over MOV CL', '... 0F 8x 02000000 B1 ib'),
        ('adc', 'producer; ADC/SBB', '... 11/19 /r'),
        ('lahf', 'producer; LAHF', '... 9F'),
        ('pushf', 'producer; PUSHF', '... 9C'),
        ('rcl', 'producer; RCL/RCR 1', '... D1 /2, D1 /3'),
    ):
        form('seq', name, enc, gen_seq(consumer), count=256, mask='by producer',
             notes='consumer reads only flags the producer defines; half end with another SETcc')


def build_forms():
    FORMS.clear()
    alu_forms()
    unary_forms()
    shift_forms()
    shld_forms()
    muldiv_forms()
    bcd_forms()
    string_forms()
    bit_forms()
    cond_forms()
    atomic_forms()
    move_forms()
    stack_forms()
    flag_forms()
    ud_forms()
    seq_forms()
    control_forms()
    misc_forms()
    return list(FORMS)


