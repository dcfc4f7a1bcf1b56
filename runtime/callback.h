/* callback.h: what a child's Lua state is doing, by number, for the
 * scoreboard (where the master reads what a hung child was stuck in) and
 * the log. */
#ifndef TINE_CALLBACK_H
#define TINE_CALLBACK_H

enum callback_id {
    CB_NONE,
    CB_LOAD,
    CB_CHILD_START,
    CB_CLIENT_CONNECTED,
    CB_CLIENT_INPUT,
    CB_CLIENT_DISCONNECTED,
    CB_CLIENT_ERROR,
    CB_CHILD_STOP,
    CB_TIMER,
    CB_SPAWN,
    CB_CLIENT_FLUSHED,
    CB_CHILD_STOPPING,
    CB_HTTP_REQUEST,
    CB_DEQUEUE,
    CB_COUNT
};

/* The script function or activity named by cb ("ClientInput"). */
const char *callback_name(int cb);

#endif
