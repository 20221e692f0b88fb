/*
 * The smallest lguest guest program: proves the lguest runtime's pipeline end to end. It prints one
 * line through the early console (split into NOTIFYs of at most 16 characters, so this line takes
 * three) and returns 0, which powers the guest off: the Launcher prints the line, then
 * "CRASH: Power down".
 */
#include <lguest.h>

int main(void) {
  lg_print("Hello from an lguest guest!\n");
  return 0;
}
