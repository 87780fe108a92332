/* The Check unit tests of the allocator core, natively. Every test runs in a forked
 * child (Check's default), so environment switches read at initialisation apply. */
#include <stdlib.h>
#include "unit.h"

jmp_buf raise_jump;
volatile uint32_t raised_status;

static void on_raise(uint32_t status)
{
    raised_status = status;
    longjmp(raise_jump, 1);
}

void catch_raises(void) { lfh_native_raise_hook = on_raise; }

int main(void)
{
    Suite *suites[] = { suite_classes(), suite_segment(), suite_large(), suite_realloc(), suite_walk(),
                        suite_validate(), suite_api(), suite_lock(), suite_model(), suite_debug(),
                        suite_corruption(), suite_faults(), suite_checks() };
    SRunner *sr = srunner_create(suites[0]);
    for (size_t i = 1; i < sizeof suites / sizeof *suites; i++) srunner_add_suite(sr, suites[i]);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
