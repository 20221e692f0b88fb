"""The case builder of the x86 conformance harness: one instruction, its inputs and its encoding.

forms.py describes the instruction forms; each form fills in Case objects through the helpers here.
A case is the instruction's bytes, the eight general registers and EFLAGS before it, the bytes of the
data region it sets up (patches over a fixed background), the flags the SDM defines afterwards and
the registers whose result it leaves undefined. The encoder writes ModRM/SIB/displacement bytes
itself (there is no assembler involved), so every addressing form can be produced on purpose, and
solves base + index * scale + displacement for the address a case wants.
"""

CODE_BASE = 0x00200000
DATA_BASE = 0x00008000
DATA_SIZE = 0x00010000
DATA_END = DATA_BASE + DATA_SIZE

CF, PF, AF, ZF, SF, TF, IF, DF, OF, NT = 0x1, 0x4, 0x10, 0x40, 0x80, 0x100, 0x200, 0x400, 0x800, 0x4000
ARITH = CF | PF | AF | ZF | SF | OF
ALL = ARITH | DF
LOGIC = ALL & ~AF
# What POPF is compared on: every flag in the low word but TF (never set here). IF stays 1 and IOPL 0
# in every popped image, so a CPU at CPL 0 and the host at CPL 3 agree on them.
POPF_MASK = 0xFEFF
FLAG_NAMES = [(OF, 'OF'), (DF, 'DF'), (SF, 'SF'), (ZF, 'ZF'), (AF, 'AF'), (PF, 'PF'), (CF, 'CF')]

EAX, ECX, EDX, EBX, ESP, EBP, ESI, EDI = range(8)
SEG_PREFIXES = [0x26, 0x36, 0x3E]  # ES SS DS: flat in a Linux process. CS (0x2E) only on reads.
CS_PREFIX = 0x2E

MOD16 = {0: (EBX, ESI), 1: (EBX, EDI), 2: (EBP, ESI), 3: (EBP, EDI), 4: (ESI,), 5: (EDI,), 6: (EBP,), 7: (EBX,)}


def mask_text(mask):
    if mask == POPF_MASK:
        return 'all of bits 0-15 but TF'
    names = [name for bit, name in FLAG_NAMES if mask & bit]
    return ' '.join(names)


def edges(bits):
    m = (1 << bits) - 1
    h = 1 << (bits - 1)
    return [0, 1, 2, 3, h - 1, h, h + 1, m - 1, m, 0x7F & m, 0x80 & m, 0xFF & m, 0x100 & m, 0x7FFF & m, 0x8000 & m]


def val(rng, bits):
    """A value of `bits` bits that is an edge value about half of the time."""
    r = rng.random()
    m = (1 << bits) - 1
    if r < 0.4:
        return rng.choice(edges(bits))
    if r < 0.55:
        return rng.randint(0, 20) if rng.random() < 0.5 else (-rng.randint(1, 20)) & m
    if r < 0.65:
        return (1 << rng.randrange(bits)) ^ (m if rng.random() < 0.3 else 0)
    return rng.getrandbits(bits)


def le(value, nbytes):
    return (value & ((1 << (8 * nbytes)) - 1)).to_bytes(nbytes, 'little')


def s8(v):
    return v - 256 if v >= 128 else v


class Case:
    """One instruction with its inputs; forms fill it in through the helpers below."""

    def __init__(self, rng):
        self.rng = rng
        self.prefixes = []
        self.body = b''
        self.code_offset = 0  # where in the two code pages the case's bytes start
        self.native_body = None
        self.regs = [rng.getrandbits(32) for _ in range(8)]
        # ESP points into the data region by default, so stack forms and ESP-based addresses work.
        self.regs[ESP] = DATA_BASE + 0x6000 + (rng.randrange(0x4000) & ~3)
        self.fixed = set()
        self.eflags = rng.getrandbits(16) & ALL
        self.patches = []
        self.mask = ALL
        self.undef = 0
        self.tags = set()
        self.faults = set()

    def restart(self):
        """Forgets everything set so far, for a form whose random choices conflicted and tries again."""
        self.__init__(self.rng)

    # --- bytes -------------------------------------------------------------------------------------
    def code(self):
        return bytes(self.prefixes) + self.body

    def native_code(self):
        if self.native_body is None:
            return self.code()
        return bytes(p for p in self.prefixes if p != 0xF3) + self.native_body

    def shuffle_prefixes(self):
        self.rng.shuffle(self.prefixes)

    # --- registers ---------------------------------------------------------------------------------
    def set32(self, r, v, fix=True):
        if r in self.fixed:
            return False
        self.regs[r] = v & 0xFFFFFFFF
        if fix:
            self.fixed.add(r)
        return True

    def set_reg(self, r, bits, v):
        """Sets the `bits`-wide register numbered `r` (8-bit numbering: AL CL DL BL AH CH DH BH)."""
        if bits == 32:
            return self.set32(r, v)
        if bits == 16:
            if r in self.fixed:
                return False
            self.regs[r] = (self.regs[r] & 0xFFFF0000) | (v & 0xFFFF)
            return True
        base = r & 3
        if base in self.fixed:
            return False
        shift = 8 if r >= 4 else 0
        self.regs[base] = (self.regs[base] & ~(0xFF << shift) & 0xFFFFFFFF) | ((v & 0xFF) << shift)
        return True

    def get_reg(self, r, bits):
        if bits == 32:
            return self.regs[r]
        if bits == 16:
            return self.regs[r] & 0xFFFF
        return (self.regs[r & 3] >> (8 if r >= 4 else 0)) & 0xFF

    # --- memory ------------------------------------------------------------------------------------
    def patch(self, addr, data):
        assert DATA_BASE <= addr and addr + len(data) <= DATA_END, hex(addr)
        for at in range(0, len(data), 255):  # a patch record holds at most 255 bytes
            self.patches.append((addr + at, bytes(data[at : at + 255])))

    def pick_ea(self, size, a16=False):
        rng = self.rng
        lo, hi = (0x8100, 0xFF00) if a16 else (DATA_BASE + 0x100, DATA_END - 0x100)
        r = rng.random()
        if r < 0.2 and size > 1:
            page = rng.randrange((lo + 0xFFF) & ~0xFFF, hi, 0x1000)
            return page - rng.randint(1, size - 1)
        ea = rng.randrange(lo, hi - size)
        if r < 0.5:
            ea &= ~(size - 1)
        return ea

    def modrm_mem(self, reg, ea, a16, avoid=(), free=False):
        """ModRM (+SIB, displacement) for a memory operand at `ea`, setting the address registers.

        With `free` (LEA) the address is whatever the random registers make it, and the registers may
        repeat; otherwise base + index * scale + displacement is solved for `ea` (mod 2^32, or 2^16
        with 16-bit addressing, so wrapping sums are exercised too).
        """
        rng = self.rng
        for _ in range(200):
            mod = rng.randrange(3)
            rm = rng.randrange(8)
            if a16:
                if mod == 0 and rm == 6:
                    used = ()
                else:
                    used = MOD16[rm]
                if any(u in avoid or (u in self.fixed and not free) for u in used):
                    continue
                disp = 0
                disp_bytes = b''
                if mod == 0 and rm == 6:
                    disp = ea & 0xFFFF if not free else rng.getrandbits(16)
                    disp_bytes = le(disp, 2)
                elif mod == 1:
                    disp = rng.choice([0, 0x7F, 0x80, 0xFF, rng.getrandbits(8)])
                    disp_bytes = bytes([disp])
                    disp = s8(disp) & 0xFFFF
                elif mod == 2:
                    disp = rng.choice([0, 0xFFFF, 0x8000, rng.getrandbits(16)])
                    disp_bytes = le(disp, 2)
                if used and not free:
                    for u in used[1:]:
                        self.set32(u, rng.getrandbits(32))
                    rest = sum(self.regs[u] for u in used[1:]) + disp
                    first = used[0]
                    self.set32(first, (rng.getrandbits(16) << 16) | ((ea - rest) & 0xFFFF))
                self.tags.add('a16')
                self.tags.add(f'a16:mod{mod}rm{rm}')
                return bytes([mod << 6 | reg << 3 | rm]) + disp_bytes
            # 32-bit addressing.
            sib = None
            base = index = None
            scale = 0
            if rm == 4:
                scale = rng.randrange(4)
                idx = rng.randrange(8)
                b = rng.randrange(8)
                sib = scale << 6 | idx << 3 | b
                index = None if idx == 4 else idx
                base = None if (b == 5 and mod == 0) else b
            elif not (rm == 5 and mod == 0):
                base = rm
            regs_used = [x for x in (base, index) if x is not None]
            if any(u in avoid or (u in self.fixed and not free) for u in regs_used):
                continue
            if not free and base is not None and base == index:
                continue
            disp_size = 4 if (mod == 2 or (mod == 0 and base is None)) else (1 if mod == 1 else 0)
            if disp_size == 1:
                disp = rng.choice([0, 0x7F, 0x80, 0xFF, rng.getrandbits(8)])
                disp_val = s8(disp)
            elif disp_size == 4:
                disp = rng.choice([0, 0xFFFFFFFF, 0x80000000, rng.getrandbits(32)])
                disp_val = disp
            else:
                disp = disp_val = 0
            if not free:
                if index is not None:
                    self.set32(index, rng.getrandbits(32))
                part = (self.regs[index] << scale if index is not None else 0) + disp_val
                if base is not None:
                    self.set32(base, ea - part)
                elif disp_size == 4:
                    disp = (ea - (part - disp_val)) & 0xFFFFFFFF
                else:
                    continue
            out = bytes([mod << 6 | reg << 3 | rm])
            if sib is not None:
                out += bytes([sib])
                self.tags.add(f'sib:s{1 << scale}')
                if base is None:
                    self.tags.add('sib:no-base+disp32')
                if index is None:
                    self.tags.add('sib:no-index')
            if disp_size:
                out += le(disp, disp_size)
            self.tags.add(f'a32:mod{mod}rm{rm}')
            return out
        raise RuntimeError('no addressing form fits')

    # --- whole instructions ------------------------------------------------------------------------
    def opsize(self, bits):
        """The operand-size prefix for 16-bit forms; now and then a redundant one for byte forms."""
        if bits == 16:
            self.prefixes.append(0x66)
        elif bits == 8 and self.rng.random() < 0.1:
            self.prefixes.append(0x66)
            self.tags.add('o16-noop')

    def noop_prefixes(self):
        """Prefixes that change nothing for an instruction without a memory operand."""
        if self.rng.random() < 0.1:
            self.prefixes.append(0x67)
            self.tags.add('a16-noop')
        if self.rng.random() < 0.1:
            self.prefixes.append(self.rng.choice(SEG_PREFIXES + [CS_PREFIX]))
            self.tags.add('seg')

    def mem_prefixes(self, writes, lockable, a16):
        rng = self.rng
        if a16:
            self.prefixes.append(0x67)
        if rng.random() < 0.25:
            self.prefixes.append(rng.choice(SEG_PREFIXES + ([] if writes else [CS_PREFIX])))
            self.tags.add('seg')
        if lockable and rng.random() < 0.35:
            self.prefixes.append(0xF0)
            self.tags.add('lock')

    def rm(self, opc, reg, bits, *, mem_prob=0.5, writes=True, lockable=False, avoid=(), mem=True,
           regs=True, a16_prob=0.2, size=None):
        """Emits `opc` ModRM with a register or memory r/m operand; returns ('mem', ea) or ('reg', r)."""
        rng = self.rng
        use_mem = mem and (not regs or rng.random() < mem_prob)
        if use_mem:
            a16 = rng.random() < a16_prob
            nbytes = size if size is not None else bits // 8
            ea = self.pick_ea(nbytes, a16)
            tail = self.modrm_mem(reg, ea, a16, avoid)
            self.mem_prefixes(writes, lockable, a16)
            self.body = bytes(opc) + tail
            self.tags.add('mem')
            return ('mem', ea)
        r = rng.randrange(8)
        self.body = bytes(opc) + bytes([0xC0 | reg << 3 | r])
        self.noop_prefixes()
        return ('reg', r)

    def set_rm(self, where, bits, v):
        kind, x = where
        if kind == 'mem':
            self.patch(x, le(v, bits // 8))
        else:
            self.set_reg(x, bits, v)

    def get_rm(self, where, bits):
        kind, x = where
        if kind == 'mem':
            for addr, data in reversed(self.patches):
                if addr == x and len(data) == bits // 8:
                    return int.from_bytes(data, 'little')
            raise RuntimeError('memory operand was not set')
        return self.get_reg(x, bits)

    def imm(self, bits, v):
        self.body += le(v, bits // 8)
