/*
 * Hostile guest: a hypercall before LGUEST_INIT (spec §3.5). The program makes its own INIT
 * (lg_manual_init) but never gets there: its first call is NOTIFY of a console string.
 * Expected death: "hypercall 17 before INIT" (the Host's wording may differ; it names the call).
 * Nothing is printed: the NOTIFY itself is the offence.
 * qemu-test: death (the test host words the reason its own way)
 */
#include <lguest.h>

const char lg_manual_init = 1;

int main(void) {
  static const char text[] = "not printed\n";
  hcall(LHCALL_NOTIFY, lg_gpa(text), 0, 0, 0);
  lg_panic("survived a hypercall before INIT");
}
