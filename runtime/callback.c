/* callback.c: the names of what a child's Lua state does. */
#include "callback.h"

static const char *const names[CB_COUNT] = {
    "nothing", "the script's top level", "ChildStart", "ClientConnected",
    "ClientInput", "ClientDisconnected", "ClientError", "ChildStop",
    "a timer", "a spawned function", "ClientFlushed",
    "ChildStopping", "an HTTP handler", "Dequeue"};

const char *callback_name(int cb)
{
    return (cb >= 0 && cb < CB_COUNT) ? names[cb] : "?";
}
