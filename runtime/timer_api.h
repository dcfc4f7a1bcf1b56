/* timer_api.h: the tine module's functions of time and tasks: tine.timer,
 * tine.every, tine.sleep, tine.now and tine.spawn. A timer's function and
 * a spawned function run as tasks of their own (scheduler.h), so they may
 * wait; tine.sleep is such a wait. */
#ifndef TINE_TIMER_API_H
#define TINE_TIMER_API_H

struct event_base;
struct lua_State;
struct sched;

/* The longest delay honoured, in seconds (about three years): a larger
 * finite one means "never in practice" and is cut to it. */
#define TIMER_MAX_SECONDS 1e8

/* Add timer, every, sleep, now and spawn to the table at the top of L's
 * stack. base is NULL in the master's state (they then raise an error
 * there, but for now). */
void timer_api_open(struct lua_State *L, struct sched *sched,
                    struct event_base *base);

#endif
