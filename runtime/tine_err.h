/* tine_err.h: the size of the caller-owned buffers that error messages are
 * written into. One size everywhere, so a message passed up through
 * several layers (a setting's check, the script's name, a log line) is
 * never cut shorter by one layer than by another. */
#ifndef TINE_ERR_H
#define TINE_ERR_H

#define TINE_ERR_MAX 4096  /* a Lua error with its traceback fits */

#endif
