#include <stdio.h>
#include <editline/readline.h>

/* Accessors for libedit's global state, so Swift 6 code need not touch C globals directly. */
static inline const char *circ_line_buffer(void) { return rl_line_buffer; }
static inline int circ_point(void) { return rl_point; }
static inline void circ_completion_done(void) {
    rl_attempted_completion_over = 1;
    rl_completion_append_character = 0;
}
static inline void circ_set_completion(rl_completion_func_t *function, const char *breaks) {
    rl_readline_name = "circ";
    rl_completer_word_break_characters = (char *)breaks;
    rl_basic_word_break_characters = breaks;
    rl_attempted_completion_function = function;
}
static inline void circ_flush_stdout(void) { fflush(stdout); }
static inline void circ_set_getc(int (*function)(FILE *)) { rl_getc_function = function; }
/* libedit's own SIGINT handler puts the terminal in cooked mode for the rest of the line; circ's
   handler is enough. Must run before the first readline call. */
static inline void circ_leave_signals_to_caller(void) { rl_catch_signals = 0; }
