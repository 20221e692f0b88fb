/*
 * Host test: the asynchronous hypercall ring in lguest_data (spec §3.3) and the processing order of
 * §3.4. The guest queues calls as Linux does — words first, then status 0, its own index mod 64 — and
 * checks that the Host runs them only when the guest makes a synchronous hypercall, in ring order,
 * before the synchronous call, writing every status byte back to 0xFF; across the wrap-around of the
 * 64 entries; with a full ring (the guest then calls synchronously, and the Host drains all 64 first).
 * Effects are observed through LOAD_GDT_ENTRY (a segment base read through %fs), TS (#NM) and
 * NOTIFY: a NOTIFY in the ring stops the drain, and the synchronous call then waits for the next read
 * (§3.4) — so every queued console string appears, in order, and none is lost to a later one.
 */
#include <hosttest.h>

#define SELECTOR 0xA1 /* GDT 20, RPL 1 */

static volatile uint32_t cells[128];
static char tokens[80][4];
static unsigned next; /* the guest's private ring index */

/* Queues a call (§3.3); if the slot is still in use the ring is full and the call is made
   synchronously instead. Returns 1 when queued. */
static int queue(uint32_t call, uint32_t a1, uint32_t a2, uint32_t a3) {
  unsigned i = next;
  if (lguest_data.hcall_status[i] != LHCALL_STATUS_EMPTY) {
    hcall(call, a1, a2, a3, 0);
    return 0;
  }
  lguest_data.hcalls[i].arg0 = call;
  lguest_data.hcalls[i].arg1 = a1;
  lguest_data.hcalls[i].arg2 = a2;
  lguest_data.hcalls[i].arg3 = a3;
  lguest_data.hcalls[i].arg4 = 0;
  /* The words must be in memory before the status byte says "request". */
  __asm__ volatile("" : : : "memory");
  lguest_data.hcall_status[i] = 0;
  next = (i + 1) % LHCALL_RING_SIZE;
  return 1;
}

/* Queues LOAD_GDT_ENTRY(20, data segment based at cells[k]). */
static int queue_segment(unsigned k) {
  uint32_t lo, hi;
  lgt_data_descriptor(lg_gpa(&cells[k]), 1, &lo, &hi);
  return queue(LHCALL_LOAD_GDT_ENTRY, 20, lo, hi);
}

static int ring_empty(void) {
  for (unsigned i = 0; i < LHCALL_RING_SIZE; i++) {
    if (lguest_data.hcall_status[i] != LHCALL_STATUS_EMPTY) return 0;
  }
  return 1;
}

static void flush(void) {
  hcall(LHCALL_FLUSH_ASYNC, 0, 0, 0, 0);
}

static void drained_only_by_a_synchronous_call(void) {
  uint32_t lo, hi;
  lgt_data_descriptor(lg_gpa(&cells[1]), 1, &lo, &hi);
  hcall(LHCALL_LOAD_GDT_ENTRY, 20, lo, hi, 0);
  unsigned slot = next;
  queue_segment(2);
  uint32_t before = lgt_read_fs0(SELECTOR), status = lguest_data.hcall_status[slot];
  flush();
  uint32_t after = lgt_read_fs0(SELECTOR);
  lgt_check(before == 1 && status == 0, "a queued call waits for a synchronous hypercall");
  lgt_check(after == 2 && lguest_data.hcall_status[slot] == LHCALL_STATUS_EMPTY,
            "FLUSH_ASYNC ran it and wrote its status back to 0xff");
}

static void batches(void) {
  /* 40 entries, then 50 more: the second batch wraps past entry 63. The last write wins. */
  for (unsigned k = 0; k < 40; k++) queue_segment(k);
  flush();
  lgt_check(ring_empty() && lgt_read_fs0(SELECTOR) == 39, "40 queued calls: all ran, in order");
  unsigned start = next;
  for (unsigned k = 40; k < 90; k++) queue_segment(k);
  int wrapped = start + 50 > LHCALL_RING_SIZE && next == (start + 50) % LHCALL_RING_SIZE;
  flush();
  int ran = ring_empty() && lgt_read_fs0(SELECTOR) == 89;
  lgt_check(wrapped, "the next batch wraps around");
  lgt_check(ran, "50 queued calls across the wrap: all ran, in order");
}

static void full_ring(void) {
  /* No console output until the end: every line is a synchronous NOTIFY, which drains the ring. */
  int queued = 0;
  for (unsigned k = 0; k < LHCALL_RING_SIZE; k++) queued += queue_segment(100 + (k % 8));
  unsigned busy = 0;
  for (unsigned i = 0; i < LHCALL_RING_SIZE; i++) busy += lguest_data.hcall_status[i] == 0;
  int went_to_ring = queue_segment(120);
  int drained = ring_empty() && lgt_read_fs0(SELECTOR) == 120;
  lgt_check(queued == 64 && busy == 64, "64 calls fill the ring");
  lgt_check(!went_to_ring, "the 65th call finds its slot busy and is made synchronously");
  lgt_check(drained, "the Host drained all 64 entries first, then ran the synchronous call");
}

static void ts_through_the_ring(void) {
  queue(LHCALL_TS, 8, 0, 0);
  flush();
  LGT_TRY("fnop", : : : "memory");
  lgt_expect_trap("TS(8) from the ring: #NM", 7, 0, 0, LGT_KERNEL_CS);
  queue(LHCALL_TS, 0, 0, 0);
  flush();
  LGT_TRY("fnop", : : : "memory");
  lgt_expect_no_trap("TS(0) from the ring: no #NM");
}

static void notifies(void) {
  static const char first[] = "ring NOTIFY 1, ", second[] = "ring NOTIFY 2, ", sync[] = "sync NOTIFY\n";
  static const char third[] = "ring NOTIFY 3\n";
  lg_print("pending-notify rule, two ring NOTIFYs then a synchronous one:\n");
  queue(LHCALL_NOTIFY, lg_gpa(first), 0, 0);
  queue(LHCALL_NOTIFY, lg_gpa(second), 0, 0);
  queue_segment(7);
  hcall(LHCALL_NOTIFY, lg_gpa(sync), 0, 0, 0);
  lgt_check(ring_empty() && lgt_read_fs0(SELECTOR) == 7, "ring after the NOTIFYs ran too");

  queue(LHCALL_NOTIFY, lg_gpa(third), 0, 0);
  uint32_t lo, hi;
  lgt_data_descriptor(lg_gpa(&cells[9]), 1, &lo, &hi);
  hcall(LHCALL_LOAD_GDT_ENTRY, 20, lo, hi, 0);
  lgt_check_u32("a synchronous call held back by a ring NOTIFY ran before returning", lgt_read_fs0(SELECTOR), 9);

  /* 80 one-token NOTIFYs in two batches of 40 (the second wraps): every one printed, in order. */
  static const char end[] = "end\n";
  for (unsigned k = 0; k < 80; k++) {
    tokens[k][0] = (char)('0' + k / 10);
    tokens[k][1] = (char)('0' + k % 10);
    tokens[k][2] = ' ';
    tokens[k][3] = '\0';
  }
  for (unsigned batch = 0; batch < 2; batch++) {
    for (unsigned k = 0; k < 40; k++) queue(LHCALL_NOTIFY, lg_gpa(tokens[40 * batch + k]), 0, 0);
    hcall(LHCALL_NOTIFY, lg_gpa(end), 0, 0, 0);
  }
  lgt_check(ring_empty(), "80 ring NOTIFYs: ring empty afterwards");
}

int main(void) {
  lgt_probe_exceptions(LGT_INTERRUPT_GATE);
  lg_print("async-ring: the hypercall ring\n");
  for (unsigned k = 0; k < 128; k++) cells[k] = k;
  drained_only_by_a_synchronous_call();
  batches();
  full_ring();
  ts_through_the_ring();
  notifies();
  return lgt_summary("async-ring");
}
