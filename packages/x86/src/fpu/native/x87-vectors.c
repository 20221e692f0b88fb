/*
 * Differential vectors for the x87 FPU of @lguest/x86: runs a fixed list of instruction sequences on the
 * real processor (32-bit, x87 encodings emitted as raw bytes so no assembler mnemonic quirk can swap
 * FSUB/FSUBR) and prints one JSON object per case with the inputs and the state FNSAVE captured after it.
 * x87-vectors.test.ts replays every case through the TypeScript X87. Build and run with gen-vectors.sh.
 *
 * Output: {"cpu": …, "cases": [ "<case>", … ]}, one case per line as a string of space-separated fields
 * "<name> i=<instruction bytes> c=<cw> [p=<preload>] [a=…] [b=…] [m=<memory in>] [f=<eflags in>] sw=… tw=…
 * [cw=…] st=<ST0,ST1,…> [mo=<memory out>] [e=<ZF|PF|CF>] [ax=…]", numbers in hex, registers as 20 hex
 * digits (sign/exponent first). The string form keeps the file small and stable under the formatter.
 *
 * Each case: FNINIT; FLDCW cw; preload (0: nothing, 1: ST0 = a, 2: ST0 = a, ST1 = b, 8: six zeros, b, a);
 * EFLAGS = f; the instruction bytes; then EFLAGS, AX and a 32-bit FNSAVE are captured.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

unsigned char mem[112] __attribute__((aligned(16)));
unsigned char save[108] __attribute__((aligned(16)));
unsigned char opa[10], opb[10];
unsigned short cw;
unsigned int npre, eflin, eflout, axout;

#define PROLOGUE                                                                                      \
  "fninit\n fldcw cw\n movl npre, %%eax\n testl %%eax, %%eax\n jz 9f\n cmpl $8, %%eax\n jne 1f\n"      \
  "fldz\n fldz\n fldz\n fldz\n fldz\n fldz\n 1: cmpl $1, %%eax\n je 2f\n fldt opb\n 2: fldt opa\n 9:\n" \
  "xorl %%eax, %%eax\n pushl eflin\n popfl\n"
#define EPILOGUE "pushfl\n popl eflout\n movl %%eax, axout\n fnsave save\n"
#define R(o, m) ".byte " #o ", " #m "\n"
#define M(o, reg) ".byte " #o ", (" #reg " << 3) | 5\n .long mem\n"
#define M16(o, reg) ".byte 0x66, " #o ", (" #reg " << 3) | 5\n .long mem\n"

struct op {
  const char *name;
  void (*run)(void);
  const char *bytes; /* hex of the instruction sequence for the replay ("66" prefix = 16-bit operand) */
  int memout;        /* bytes of mem to report after the run */
};

#define OP(id, text, hex, mo)                                                     \
  static void run_##id(void) { __asm__ volatile(PROLOGUE text EPILOGUE ::: "eax", "memory", "cc"); } \
  static const struct op op_##id = {#id, run_##id, hex, mo};

/* Register arithmetic and comparisons on ST0 = a, ST1 = b. */
OP(fadd, R(0xd8, 0xc1), "d8c1", 0)
OP(fmul, R(0xd8, 0xc9), "d8c9", 0)
OP(fsub, R(0xd8, 0xe1), "d8e1", 0)
OP(fsubr, R(0xd8, 0xe9), "d8e9", 0)
OP(fdiv, R(0xd8, 0xf1), "d8f1", 0)
OP(fdivr, R(0xd8, 0xf9), "d8f9", 0)
OP(fadd_st1, R(0xdc, 0xc1), "dcc1", 0)
OP(fsubr_st1, R(0xdc, 0xe1), "dce1", 0)
OP(fsub_st1, R(0xdc, 0xe9), "dce9", 0)
OP(fdivr_st1, R(0xdc, 0xf1), "dcf1", 0)
OP(fdiv_st1, R(0xdc, 0xf9), "dcf9", 0)
OP(faddp, R(0xde, 0xc1), "dec1", 0)
OP(fmulp, R(0xde, 0xc9), "dec9", 0)
OP(fsubrp, R(0xde, 0xe1), "dee1", 0)
OP(fsubp, R(0xde, 0xe9), "dee9", 0)
OP(fdivrp, R(0xde, 0xf1), "def1", 0)
OP(fdivp, R(0xde, 0xf9), "def9", 0)
OP(fcom, R(0xd8, 0xd1), "d8d1", 0)
OP(fcomp, R(0xd8, 0xd9), "d8d9", 0)
OP(fcompp, R(0xde, 0xd9), "ded9", 0)
OP(fucom, R(0xdd, 0xe1), "dde1", 0)
OP(fucomp, R(0xdd, 0xe9), "dde9", 0)
OP(fucompp, R(0xda, 0xe9), "dae9", 0)
OP(fcomi, R(0xdb, 0xf1), "dbf1", 0)
OP(fucomi, R(0xdb, 0xe9), "dbe9", 0)
OP(fcomip, R(0xdf, 0xf1), "dff1", 0)
OP(fucomip, R(0xdf, 0xe9), "dfe9", 0)
OP(fprem, R(0xd9, 0xf8), "d9f8", 0)
OP(fprem1, R(0xd9, 0xf5), "d9f5", 0)
OP(fscale, R(0xd9, 0xfd), "d9fd", 0)
OP(fpatan, R(0xd9, 0xf3), "d9f3", 0)
OP(fyl2x, R(0xd9, 0xf1), "d9f1", 0)
OP(fyl2xp1, R(0xd9, 0xf9), "d9f9", 0)
OP(fxch, R(0xd9, 0xc9), "d9c9", 0)
OP(fld_st1, R(0xd9, 0xc1), "d9c1", 0)
OP(fst_st1, R(0xdd, 0xd1), "ddd1", 0)
OP(fstp_st1, R(0xdd, 0xd9), "ddd9", 0)
OP(ffree_st1, R(0xdd, 0xc1), "ddc1", 0)
OP(ffreep, R(0xdf, 0xc0), "dfc0", 0)
OP(fcom2, R(0xdc, 0xd1), "dcd1", 0)
OP(fxch4, R(0xdd, 0xc9), "ddc9", 0)
OP(fstp1, R(0xd9, 0xd9), "d9d9", 0)
OP(fdecstp, R(0xd9, 0xf6), "d9f6", 0)
OP(fincstp, R(0xd9, 0xf7), "d9f7", 0)
OP(fnop, R(0xd9, 0xd0), "d9d0", 0)
/* FCMOVcc ST0 <- ST1 under EFLAGS. */
OP(fcmovb, R(0xda, 0xc1), "dac1", 0)
OP(fcmove, R(0xda, 0xc9), "dac9", 0)
OP(fcmovbe, R(0xda, 0xd1), "dad1", 0)
OP(fcmovu, R(0xda, 0xd9), "dad9", 0)
OP(fcmovnb, R(0xdb, 0xc1), "dbc1", 0)
OP(fcmovne, R(0xdb, 0xc9), "dbc9", 0)
OP(fcmovnbe, R(0xdb, 0xd1), "dbd1", 0)
OP(fcmovnu, R(0xdb, 0xd9), "dbd9", 0)
/* One-operand functions on ST0 = a. */
OP(fchs, R(0xd9, 0xe0), "d9e0", 0)
OP(fabs, R(0xd9, 0xe1), "d9e1", 0)
OP(ftst, R(0xd9, 0xe4), "d9e4", 0)
OP(fxam, R(0xd9, 0xe5), "d9e5", 0)
OP(fsqrt, R(0xd9, 0xfa), "d9fa", 0)
OP(frndint, R(0xd9, 0xfc), "d9fc", 0)
OP(fxtract, R(0xd9, 0xf4), "d9f4", 0)
OP(f2xm1, R(0xd9, 0xf0), "d9f0", 0)
OP(fsin, R(0xd9, 0xfe), "d9fe", 0)
OP(fcos, R(0xd9, 0xff), "d9ff", 0)
OP(fptan, R(0xd9, 0xf2), "d9f2", 0)
OP(fsincos, R(0xd9, 0xfb), "d9fb", 0)
/* Constants. */
OP(fld1, R(0xd9, 0xe8), "d9e8", 0)
OP(fldl2t, R(0xd9, 0xe9), "d9e9", 0)
OP(fldl2e, R(0xd9, 0xea), "d9ea", 0)
OP(fldpi, R(0xd9, 0xeb), "d9eb", 0)
OP(fldlg2, R(0xd9, 0xec), "d9ec", 0)
OP(fldln2, R(0xd9, 0xed), "d9ed", 0)
OP(fldz, R(0xd9, 0xee), "d9ee", 0)
/* Stores of ST0 = a. */
OP(fst_m32, M(0xd9, 2), "d915", 4)
OP(fstp_m32, M(0xd9, 3), "d91d", 4)
OP(fst_m64, M(0xdd, 2), "dd15", 8)
OP(fstp_m64, M(0xdd, 3), "dd1d", 8)
OP(fstp_m80, M(0xdb, 7), "db3d", 10)
OP(fist_m16, M(0xdf, 2), "df15", 2)
OP(fistp_m16, M(0xdf, 3), "df1d", 2)
OP(fist_m32, M(0xdb, 2), "db15", 4)
OP(fistp_m32, M(0xdb, 3), "db1d", 4)
OP(fistp_m64, M(0xdf, 7), "df3d", 8)
OP(fbstp, M(0xdf, 6), "df35", 10)
/* Loads from mem. */
OP(fld_m32, M(0xd9, 0), "d905", 0)
OP(fld_m64, M(0xdd, 0), "dd05", 0)
OP(fld_m80, M(0xdb, 5), "db2d", 0)
OP(fild_m16, M(0xdf, 0), "df05", 0)
OP(fild_m32, M(0xdb, 0), "db05", 0)
OP(fild_m64, M(0xdf, 5), "df2d", 0)
OP(fbld, M(0xdf, 4), "df25", 0)
/* Arithmetic with a memory operand (ST0 = a). */
OP(fadd_m32, M(0xd8, 0), "d805", 0)
OP(fmul_m64, M(0xdc, 1), "dc0d", 0)
OP(fcom_m64, M(0xdc, 2), "dc15", 0)
OP(fcomp_m32, M(0xd8, 3), "d81d", 0)
OP(fsub_m64, M(0xdc, 4), "dc25", 0)
OP(fsubr_m32, M(0xd8, 5), "d82d", 0)
OP(fdiv_m64, M(0xdc, 6), "dc35", 0)
OP(fdivr_m64, M(0xdc, 7), "dc3d", 0)
OP(fiadd_m32, M(0xda, 0), "da05", 0)
OP(fimul_m16, M(0xde, 1), "de0d", 0)
OP(ficom_m32, M(0xda, 2), "da15", 0)
OP(ficomp_m16, M(0xde, 3), "de1d", 0)
OP(fisub_m32, M(0xda, 4), "da25", 0)
OP(fisubr_m16, M(0xde, 5), "de2d", 0)
OP(fidiv_m32, M(0xda, 6), "da35", 0)
OP(fidivr_m16, M(0xde, 7), "de3d", 0)
/* Control and state instructions. */
OP(fldcw, M(0xd9, 5), "d92d", 0)
OP(fnstcw, M(0xd9, 7), "d93d", 2)
OP(fnstsw_m, M(0xdd, 7), "dd3d", 2)
OP(fnstsw_ax, R(0xdf, 0xe0), "dfe0", 0)
OP(fdiv0_fnclex, R(0xd8, 0xf1) R(0xdb, 0xe2), "d8f1dbe2", 0)
OP(fdiv0_fnstenv, R(0xd8, 0xf1) M(0xd9, 6), "d8f1d935", 28)
OP(fdiv0_fnstenv16, R(0xd8, 0xf1) M16(0xd9, 6), "d8f166d935", 14)
OP(fnstenv, M(0xd9, 6), "d935", 28)
OP(fldenv, M(0xd9, 4), "d925", 0)
OP(fldenv16, M16(0xd9, 4), "66d925", 0)
OP(fnsave, M(0xdd, 6), "dd35", 108)
OP(fnsave16, M16(0xdd, 6), "66dd35", 94)
OP(frstor, M(0xdd, 4), "dd25", 0)
OP(frstor16, M16(0xdd, 4), "66dd25", 0)
OP(fninit, R(0xdb, 0xe3), "dbe3", 0)

/* ---- values ---------------------------------------------------------------------------------------- */
typedef struct { uint16_t se; uint64_t sig; } ext;
static ext X(uint16_t se, uint64_t sig) { ext e = {se, sig}; return e; }
static ext D(double d) {
  long double l = d;
  ext e;
  memcpy(&e.sig, &l, 8);
  memcpy(&e.se, (char *)&l + 8, 2);
  return e;
}

static const char *hexbytes(const unsigned char *p, int n) {
  static char buf[2][512];
  static int which;
  char *b = buf[which ^= 1];
  for (int i = 0; i < n; i++) sprintf(b + 2 * i, "%02x", p[i]);
  b[2 * n] = 0;
  return b;
}
static const char *exthex(ext e) { /* printed big-endian: sign/exponent then significand */
  static char buf[4][24];
  static int which;
  char *b = buf[which = (which + 1) & 3];
  sprintf(b, "%04x%016llx", e.se, (unsigned long long)e.sig);
  return b;
}
static void put(unsigned char *p, ext e) {
  memcpy(p, &e.sig, 8);
  memcpy(p + 8, &e.se, 2);
}
static ext get(const unsigned char *p) {
  ext e;
  memcpy(&e.sig, p, 8);
  memcpy(&e.se, p + 8, 2);
  return e;
}

static void run(const struct op *o, unsigned c, int pre, ext a, ext b, const unsigned char *min, int minlen,
                unsigned fl) {
  memset(mem, 0, sizeof mem);
  if (min) memcpy(mem, min, minlen);
  put(opa, a);
  put(opb, b);
  cw = c;
  npre = pre;
  eflin = 0x202 | fl;
  o->run();
  unsigned tw = save[8] | save[9] << 8;
  unsigned sw = save[4] | save[5] << 8, cwo = save[0] | save[1] << 8;
  /* One case per line, as a JSON string of space-separated fields (see x87-vectors.test.ts). */
  printf("    \"%s i=%s c=%x", o->name, o->bytes, c);
  if (pre != 2) printf(" p=%d", pre);
  if (pre >= 1) printf(" a=%s", exthex(a));
  if (pre >= 2) printf(" b=%s", exthex(b));
  if (min) printf(" m=%s", hexbytes(min, minlen));
  if (fl) printf(" f=%x", fl);
  printf(" sw=%x tw=%x", sw, tw);
  if (cwo != c) printf(" cw=%x", cwo);
  /* ST(0)… up to the last non-empty register: "-" for an empty one, "a"/"b" when equal to an input. */
  int last = -1, top = (sw >> 11) & 7;
  for (int i = 0; i < 8; i++)
    if (((tw >> (2 * ((top + i) & 7))) & 3) != 3) last = i;
  printf(" st=");
  for (int i = 0; i <= last; i++) {
    int empty = ((tw >> (2 * ((top + i) & 7))) & 3) == 3;
    ext r = get(save + 28 + 10 * i);
    const char *h = exthex(r);
    if (i) printf(",");
    if (empty) printf("-");
    else if (pre >= 1 && !strcmp(h, exthex(a))) printf("a");
    else if (pre >= 2 && !strcmp(h, exthex(b))) printf("b");
    else printf("%s", h);
  }
  if (o->memout) printf(" mo=%s", hexbytes(mem, o->memout));
  if (eflout & 0x45) printf(" e=%x", eflout & 0x45);
  if (axout & 0xffff) printf(" ax=%x", axout & 0xffff);
  printf("\"\n");
}

/* ---- cases ----------------------------------------------------------------------------------------- */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
static double rdouble(int span) {
  uint64_t m = next();
  int e = (int)(next() % (2 * span + 1)) - span;
  double d;
  uint64_t bits = ((uint64_t)(e + 1023) << 52) | (m & 0xfffffffffffffull);
  memcpy(&d, &bits, 8);
  return (next() & 1) ? -d : d;
}

#define CW(pc, rc) (0x007f | ((pc) << 8) | ((rc) << 10))

int main(void) {
  const ext QNAN = X(0x7fff, 0xc000000000000123ull), SNAN = X(0xffff, 0x8000000000000456ull);
  const ext INF = X(0x7fff, 0x8000000000000000ull), NINF = X(0xffff, 0x8000000000000000ull);
  const ext DEN = X(0x0000, 0x0000000000001234ull), UNNORMAL = X(0x4000, 0x4000000000000000ull);
  const ext LONG1 = X(0x3fff, 0x8000000000000001ull), PI80 = X(0x4000, 0xc90fdaa22168c235ull);
  const ext BIG = X(0x7ffe, 0xffffffffffffffffull), TINY = X(0x0001, 0x8000000000000000ull);
  ext vals[] = {D(0.0),  D(-0.0),   D(1.0),   D(-1.5),  D(2.5),  D(3.5),   D(0.1),    D(-1e10),
                D(1e-300), D(1e300), D(4.9e-324), D(1.0 / 3), D(0.75), D(-0.5), D(123456.789), D(1e18),
                D(-7.0), D(65535.5), INF,     NINF,     QNAN,     SNAN,     DEN,       UNNORMAL,
                LONG1,   PI80,     BIG,      TINY,     D(2147483648.5), D(-9.3e18)};
  int nv = sizeof vals / sizeof vals[0];
  ext pairv[] = {D(0.0), D(-0.0), D(1.0), D(-1.5), D(0.1), D(1e300), INF, QNAN, SNAN, LONG1};
  ext pairw[] = {D(0.0), D(-0.0), D(1.0), D(-1.5), D(0.1), D(7.0), NINF, QNAN};
  ext nans[] = {QNAN, SNAN, X(0x7fff, 0xc000000000000999ull), X(0xffff, 0xc000000000000123ull),
                X(0x7fff, 0x8000000000000999ull)};
  const struct op *binops[] = {&op_fadd, &op_fmul, &op_fsub, &op_fsubr, &op_fdiv, &op_fdivr, &op_fcom,
                               &op_fucom, &op_fcomi, &op_fucomi, &op_fprem, &op_fprem1, &op_fscale,
                               &op_fpatan, &op_fyl2x};
  for (unsigned k = 0; k < sizeof binops / sizeof binops[0]; k++)
    for (int i = 0; i < (k < 6 ? 10 : 8); i++)
      for (int j = 0; j < (k < 6 ? 10 : 8); j++)
        run(binops[k], 0x037f, 2, k < 6 ? pairv[i] : pairw[i], k < 6 ? pairv[j] : pairw[j], 0, 0, 0);
  for (int i = 0; i < 5; i++)
    for (int j = 0; j < 5; j++) run(&op_fadd, 0x037f, 2, nans[i], nans[j], 0, 0, 0);
  /* The other register forms, popping forms and aliases on a few pairs. */
  const struct op *regops[] = {&op_fadd_st1, &op_fsubr_st1, &op_fsub_st1, &op_fdivr_st1, &op_fdiv_st1,
                               &op_faddp, &op_fmulp, &op_fsubrp, &op_fsubp, &op_fdivrp, &op_fdivp,
                               &op_fcomp, &op_fcompp, &op_fucomp, &op_fucompp, &op_fcomip, &op_fucomip,
                               &op_fxch, &op_fld_st1, &op_fst_st1, &op_fstp_st1,
                               &op_ffree_st1, &op_ffreep, &op_fcom2, &op_fxch4, &op_fstp1, &op_fdecstp,
                               &op_fincstp, &op_fnop};
  ext ra[] = {D(3.0), D(-2.0), D(0.25), QNAN, D(0.0), LONG1};
  ext rb[] = {D(7.0), D(3.0), D(0.5), D(1.0), D(0.0), D(-1e-5)};
  for (unsigned k = 0; k < sizeof regops / sizeof regops[0]; k++)
    for (int i = 0; i < 6; i++) run(regops[k], 0x037f, 2, ra[i], rb[i], 0, 0, 0);
  /* Stack faults: empty operands, full stack. */
  const struct op *faults[] = {&op_fadd, &op_fxch, &op_fcom, &op_fcomi, &op_fsqrt, &op_fst_m64, &op_fistp_m32,
                               &op_fld1, &op_fld_m64, &op_fsincos, &op_fptan, &op_fxtract, &op_fld_st1};
  for (unsigned k = 0; k < sizeof faults / sizeof faults[0]; k++) {
    run(faults[k], 0x037f, 0, D(0), D(0), 0, 0, 0);
    run(faults[k], 0x037f, 8, D(2.0), D(3.0), 0, 0, 0);
    run(faults[k], 0x037e, 0, D(0), D(0), 0, 0, 0);
    run(faults[k], 0x037e, 8, D(2.0), D(3.0), 0, 0, 0);
  }
  /* FCMOVcc under each flag combination. */
  const struct op *cmovs[] = {&op_fcmovb, &op_fcmove, &op_fcmovbe, &op_fcmovu,
                              &op_fcmovnb, &op_fcmovne, &op_fcmovnbe, &op_fcmovnu};
  unsigned flagsets[] = {0, 1, 4, 0x40, 0x45};
  for (int k = 0; k < 8; k++)
    for (int f = 0; f < 5; f++) run(cmovs[k], 0x037f, 2, D(1.0), D(2.0), 0, 0, flagsets[f]);
  /* One-operand functions over all values. */
  const struct op *unops[] = {&op_fchs, &op_fabs, &op_ftst, &op_fxam, &op_fsqrt, &op_frndint, &op_fxtract,
                              &op_fst_m32, &op_fst_m64, &op_fstp_m80, &op_fist_m16, &op_fist_m32,
                              &op_fistp_m64, &op_fbstp, &op_f2xm1, &op_fsin, &op_fcos, &op_fptan,
                              &op_fsincos};
  for (unsigned k = 0; k < sizeof unops / sizeof unops[0]; k++)
    for (int i = 0; i < nv; i++) run(unops[k], 0x037f, 1, vals[i], D(0), 0, 0, 0);
  /* Rounding control on conversions and FRNDINT. */
  const struct op *rcops[] = {&op_frndint, &op_fst_m32, &op_fstp_m32, &op_fstp_m64, &op_fistp_m16, &op_fistp_m32,
                              &op_fistp_m64, &op_fbstp};
  ext rcv[] = {D(2.5), D(-2.5), D(3.5), D(0.1), D(-0.7), LONG1, X(0xbfff, 0xc000000000000001ull), PI80,
               D(1e-40), D(3.4e38), D(-32768.4), D(1e-310), X(0x3c00, 0x8000000000000000ull)};
  for (unsigned k = 0; k < sizeof rcops / sizeof rcops[0]; k++)
    for (int rc = 0; rc < 4; rc++)
      for (unsigned i = 0; i < sizeof rcv / sizeof rcv[0]; i++)
        run(rcops[k], CW(3, rc), 1, rcv[i], D(0), 0, 0, 0);
  /* Constants under each rounding control. */
  const struct op *consts[] = {&op_fld1, &op_fldl2t, &op_fldl2e, &op_fldpi, &op_fldlg2, &op_fldln2, &op_fldz};
  for (int k = 0; k < 7; k++)
    for (int rc = 0; rc < 4; rc++) run(consts[k], CW(3, rc), 1, D(5.0), D(0), 0, 0, 0);
  /* Loads from memory. */
  uint32_t f32s[] = {0x3f800000, 0x80000000, 0x00000001, 0x807fffff, 0x7f800000, 0x7fc00001, 0x7f800001,
                     0x3eaaaaab, 0xc2f6e979};
  for (unsigned i = 0; i < sizeof f32s / sizeof f32s[0]; i++) {
    run(&op_fld_m32, 0x037f, 0, D(0), D(0), (unsigned char *)&f32s[i], 4, 0);
    run(&op_fadd_m32, 0x037f, 1, D(1.0), D(0), (unsigned char *)&f32s[i], 4, 0);
    run(&op_fsubr_m32, 0x037f, 1, D(-3.0), D(0), (unsigned char *)&f32s[i], 4, 0);
    run(&op_fcomp_m32, 0x037f, 1, D(1.0), D(0), (unsigned char *)&f32s[i], 4, 0);
  }
  uint64_t f64s[] = {0x3ff0000000000000ull, 0x8000000000000000ull, 0x0000000000000001ull,
                     0x7ff0000000000000ull, 0x7ff8000000000001ull, 0x7ff0000000000001ull,
                     0x3fd5555555555555ull, 0xc1d2d687e3d70a3dull, 0x000fffffffffffffull};
  for (unsigned i = 0; i < sizeof f64s / sizeof f64s[0]; i++) {
    run(&op_fld_m64, 0x037f, 0, D(0), D(0), (unsigned char *)&f64s[i], 8, 0);
    run(&op_fmul_m64, 0x037f, 1, D(-3.0), D(0), (unsigned char *)&f64s[i], 8, 0);
    run(&op_fcom_m64, 0x037f, 1, D(1.0), D(0), (unsigned char *)&f64s[i], 8, 0);
    run(&op_fsub_m64, 0x037f, 1, D(1.0), D(0), (unsigned char *)&f64s[i], 8, 0);
    run(&op_fdiv_m64, 0x037f, 1, D(1.0), D(0), (unsigned char *)&f64s[i], 8, 0);
    run(&op_fdivr_m64, 0x037f, 1, D(10.0), D(0), (unsigned char *)&f64s[i], 8, 0);
  }
  uint64_t ints[] = {0, 1, 0xffffffffffffffffull, 0x7fff, 0xffffffffffff8000ull, 0x7fffffff,
                     0xffffffff80000000ull, 0x7fffffffffffffffull, 0x8000000000000000ull, 0x123456789abcdefull};
  for (unsigned i = 0; i < sizeof ints / sizeof ints[0]; i++) {
    unsigned char *p = (unsigned char *)&ints[i];
    run(&op_fild_m16, 0x037f, 0, D(0), D(0), p, 2, 0);
    run(&op_fild_m32, 0x037f, 0, D(0), D(0), p, 4, 0);
    run(&op_fild_m64, 0x037f, 0, D(0), D(0), p, 8, 0);
    run(&op_fiadd_m32, 0x037f, 1, D(0.5), D(0), p, 4, 0);
    run(&op_fimul_m16, 0x037f, 1, D(-1.25), D(0), p, 2, 0);
    run(&op_ficom_m32, 0x037f, 1, D(1.0), D(0), p, 4, 0);
    run(&op_ficomp_m16, 0x037f, 1, D(-1.0), D(0), p, 2, 0);
    run(&op_fisub_m32, 0x037f, 1, D(2.0), D(0), p, 4, 0);
    run(&op_fisubr_m16, 0x037f, 1, D(2.0), D(0), p, 2, 0);
    run(&op_fidiv_m32, 0x037f, 1, D(10.0), D(0), p, 4, 0);
    run(&op_fidivr_m16, 0x037f, 1, D(10.0), D(0), p, 2, 0);
  }
  unsigned char bcds[][10] = {{0x21, 0x43, 0x65, 0x87, 0x09, 0, 0, 0, 0, 0x00},
                              {0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x80},
                              {0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80}};
  for (int i = 0; i < 3; i++) run(&op_fbld, 0x037f, 0, D(0), D(0), bcds[i], 10, 0);
  ext m80s[] = {LONG1, SNAN, DEN, UNNORMAL, BIG};
  for (int i = 0; i < 5; i++) {
    unsigned char b[10];
    put(b, m80s[i]);
    run(&op_fld_m80, 0x037f, 0, D(0), D(0), b, 10, 0);
    run(&op_fld_m80, 0x037f, 8, D(1), D(2), b, 10, 0);
  }
  /* Control words, status word stores, exceptions and the environment. */
  uint16_t cws[] = {0xffff, 0x0000, 0x0c7f, 0x037e};
  for (int i = 0; i < 4; i++) {
    run(&op_fldcw, 0x037f, 2, D(1), D(2), (unsigned char *)&cws[i], 2, 0);
    run(&op_fnstcw, cws[i], 0, D(0), D(0), 0, 0, 0);
  }
  unsigned cwx[] = {0x037f, 0x037b, 0x037e, 0x035f, 0x0377, 0x036f, 0x0372};
  for (int i = 0; i < 7; i++) {
    run(&op_fdiv, cwx[i], 2, D(1.0), D(0.0), 0, 0, 0);    /* zero divide */
    run(&op_fdiv, cwx[i], 2, D(1.0), D(3.0), 0, 0, 0);    /* precision */
    run(&op_fmul, cwx[i], 2, BIG, BIG, 0, 0, 0);          /* overflow */
    run(&op_fmul, cwx[i], 2, TINY, D(0.25), 0, 0, 0);     /* underflow */
    run(&op_fsub, cwx[i], 2, INF, INF, 0, 0, 0);          /* invalid */
    run(&op_fadd, cwx[i], 2, DEN, D(1.0), 0, 0, 0);       /* denormal */
    run(&op_fst_m32, cwx[i], 1, D(1e300), D(0), 0, 0, 0); /* overflow on store */
    run(&op_fst_m64, cwx[i], 1, TINY, D(0), 0, 0, 0);     /* underflow on store */
    run(&op_fistp_m16, cwx[i], 1, D(1e6), D(0), 0, 0, 0); /* invalid on integer store */
    run(&op_fnstsw_m, cwx[i], 2, D(1.0), D(0.0), 0, 0, 0);
    run(&op_fnstsw_ax, cwx[i], 2, D(1.0), D(0.0), 0, 0, 0);
    run(&op_fdiv0_fnclex, cwx[i], 2, D(1.0), D(0.0), 0, 0, 0);
    run(&op_fdiv0_fnstenv, cwx[i], 2, D(1.0), D(0.0), 0, 0, 0);
  }
  /* Masked overflow and underflow under every precision and rounding control (∞ or the largest finite
   * number of the precision; denormals rounded at the precision's fixed bit). */
  for (int pc = 0; pc < 4; pc += (pc == 0 ? 2 : 1))
    for (int rc = 0; rc < 4; rc++) {
      run(&op_fmul, CW(pc, rc), 2, BIG, BIG, 0, 0, 0);
      run(&op_fmul, CW(pc, rc), 2, X(0xffff & 0x7ffe, 0xc000000000000000ull), X(0xbfff, 0xc000000000000000ull), 0, 0, 0);
      run(&op_fdiv, CW(pc, rc), 2, TINY, D(-3.0), 0, 0, 0);
      run(&op_fmul, CW(pc, rc), 2, X(0x0010, 0xd555555555555555ull), X(0x3ff0, 0xaaaaaaaaaaaaaaabull), 0, 0, 0);
    }
  run(&op_fdiv0_fnstenv16, 0x037b, 2, D(1.0), D(0.0), 0, 0, 0);
  run(&op_fnstenv, 0x0c7f, 2, D(1.5), LONG1, 0, 0, 0);
  run(&op_fnsave, 0x0c7f, 8, PI80, D(-0.0), 0, 0, 0);
  run(&op_fnsave16, 0x027f, 2, DEN, QNAN, 0, 0, 0);
  run(&op_fninit, 0x0c7f, 2, D(1.0), D(2.0), 0, 0, 0);
  {
    unsigned char e32[108], e16[94];
    memset(e32, 0, sizeof e32);
    memset(e16, 0, sizeof e16);
    /* CW 0x0b7e (IE unmasked), SW with IE and TOP 5, TW: physical 5, 6 in use, rest empty. */
    unsigned char env32[28] = {0x7e, 0x0b, 0xff, 0xff, 0x01, 0x28, 0xff, 0xff, 0xff, 0xc3, 0xff, 0xff,
                               0x78, 0x56, 0x34, 0x12, 0x23, 0x00, 0xc1, 0x05, 0x00, 0x10, 0x00, 0x00,
                               0x2b, 0x00, 0xff, 0xff};
    unsigned char env16[14] = {0x7f, 0x02, 0x20, 0x30, 0xff, 0xf3, 0x34, 0x12, 0x23, 0x00, 0x00, 0x10,
                               0x2b, 0x00};
    memcpy(e32, env32, 28);
    memcpy(e16, env16, 14);
    for (int i = 0; i < 8; i++) {
      put(e32 + 28 + 10 * i, vals[(3 * i + 2) % nv]);
      put(e16 + 14 + 10 * i, vals[(5 * i + 1) % nv]);
    }
    run(&op_fldenv, 0x037f, 2, D(1.0), D(2.0), env32, 28, 0);
    run(&op_fldenv16, 0x037f, 2, D(1.0), D(2.0), env16, 14, 0);
    run(&op_frstor, 0x037f, 0, D(0), D(0), e32, 108, 0);
    run(&op_frstor16, 0x037f, 0, D(0), D(0), e16, 94, 0);
  }
  /* Random operands, double-representable and with full 64-bit significands, in every precision and
   * rounding control: the arithmetic must match bit for bit. */
  const struct op *rops[] = {&op_fadd, &op_fsub, &op_fmul, &op_fdiv, &op_fsqrt, &op_fprem, &op_fprem1};
  static const int pcs[] = {0, 2, 3};
  for (int n = 0; n < 420; n++) {
    int k = n % 7;
    unsigned c = CW(pcs[next() % 3], (int)(next() % 4));
    double a = rdouble(k == 5 || k == 6 ? 200 : 40), b = rdouble(k >= 5 ? 20 : 40);
    if (k == 4) a = a < 0 ? -a : a;
    if (n % 5 == 0 && k < 2) b = a * (1 + rdouble(0) * 1e-12); /* near-cancellation */
    run(rops[k], c, 2, D(a), D(b), 0, 0, 0);
  }
  for (int n = 0; n < 420; n++) {
    int k = n % 7;
    unsigned c = CW(pcs[next() % 3], (int)(next() % 4));
    int span = k >= 5 ? 90 : 20;
    ext a = X((uint16_t)(0x3fff + (int)(next() % (2 * span + 1)) - span), next() | 0x8000000000000000ull);
    ext b = X((uint16_t)(0x3fff + (int)(next() % 41) - 20), next() | 0x8000000000000000ull);
    if (k == 4) a.se &= 0x7fff;
    else a.se |= (uint16_t)((next() & 1) << 15);
    if (next() & 1) b.se |= 0x8000;
    if (n % 5 == 0 && k < 2) b = X(a.se, a.sig ^ (next() & 0xffff)); /* near-cancellation */
    if (n % 11 == 0) a.se = (uint16_t)((a.se & 0x8000) | (next() % 3)); /* denormal range */
    if (n % 13 == 0) a = X(a.se & 0x8000, 0);                           /* ±0 − b, ±0 + b, … */
    run(rops[k], c, 2, a, b, 0, 0, 0);
  }
  /* Transcendental functions on random moderate arguments. */
  const struct op *tops[] = {&op_fsin, &op_fcos, &op_fptan, &op_fsincos, &op_f2xm1, &op_fpatan, &op_fyl2x,
                             &op_fyl2xp1};
  for (int n = 0; n < 160; n++) {
    int k = n % 8;
    /* Half of the trigonometric arguments are large (up to 2^62): the reduction must match the CPU's. */
    double a = rdouble(k == 4 || k == 7 ? 0 : (k < 4 && n % 16 >= 8) ? 62 : 6), b = rdouble(6);
    if (k == 4 || k == 7) a *= 0.25;
    if (k == 6) a = a < 0 ? -a : a;
    run(tops[k], 0x037f, 2, D(a), D(b), 0, 0, 0);
  }
  /* Trigonometric functions near multiples of π/2 and at the edges of their range. */
  ext trigv[] = {D(3.141592653589793), D(6.283185307179586), D(1.5707963267948966), D(-3.141592653589793),
                 D(1e6), D(1e10), D(1e15), D(9.2e18), D(1e22), PI80, X(0x4000, 0xc90fdaa22168c234ull),
                 X(0x4001, 0xc90fdaa22168c235ull), X(0x403d, 0xffffffffffffffffull), D(0.7853981633974483)};
  /* The other transcendental functions at the edges of the exponent range. */
  ext far[] = {BIG, TINY, DEN, X(0x4200, 0xa000000000000000ull), X(0x3c00, 0xc000000000000123ull),
               X(0x41f3, 0x8000000000000001ull), X(0x3e0d, 0xffffffffffffffffull), D(-3.0), D(1.0)};
  const struct op *farops[] = {&op_fpatan, &op_fyl2x};
  for (int k = 0; k < 2; k++)
    for (unsigned i = 0; i < sizeof far / sizeof far[0]; i++)
      for (unsigned j = 0; j < sizeof far / sizeof far[0]; j += 2) run(farops[k], 0x037f, 2, far[i], far[j], 0, 0, 0);
  ext small[] = {X(0x3fc2, 0x8000000000000000ull), X(0xbfc4, 0xc000000000000001ull), D(1.0), D(3.5), D(0.5),
                 X(0x3f9b, 0xffffffffffffffffull), D(0.25), D(-0.2)};
  for (unsigned i = 0; i < sizeof small / sizeof small[0]; i++) {
    run(&op_f2xm1, 0x037f, 1, small[i], D(0), 0, 0, 0);
    run(&op_fsin, 0x0f7f, 1, X(0x3c00 | (small[i].se & 0x8000), small[i].sig), D(0), 0, 0, 0); /* tiny, chop */
    run(&op_fcos, 0x077f, 1, X(0x3c00, small[i].sig), D(0), 0, 0, 0);                        /* tiny, down */
    run(&op_fptan, 0x0b7f, 1, X(0x3c00 | (small[i].se & 0x8000), small[i].sig), D(0), 0, 0, 0); /* tiny, up */
    run(&op_fyl2xp1, 0x037f, 2, small[i], D(3.0), 0, 0, 0);
    run(&op_fyl2xp1, 0x0f7f, 2, small[i], X(0x7ff0, 0x8000000000000000ull), 0, 0, 0);
  }
  const struct op *trigops[] = {&op_fsin, &op_fcos, &op_fptan, &op_fsincos};
  for (int k = 0; k < 4; k++)
    for (unsigned i = 0; i < sizeof trigv / sizeof trigv[0]; i++) run(trigops[k], 0x037f, 1, trigv[i], D(0), 0, 0, 0);
  return 0;
}
