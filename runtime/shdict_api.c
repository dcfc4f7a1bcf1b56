/* shdict_api.c: see shdict_api.h. A method's results are OpenResty's: a
 * key that is nil, empty or too long gives nil and why; a store gives ok,
 * err, forcible; a bad exptime or flags argument raises an error.
 * Strings are copied out of a dictionary, under its lock, into one buffer
 * per process that only ever grows (up to the dictionary's capacity), so
 * no method allocates but for the Lua values it returns; a Lua allocation
 * never happens under the lock, so an error there cannot leave it held. */
#include "shdict_api.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdlib.h>
#include <string.h>

#include "settings.h"
#include "shdict.h"
#include "shdict_zones.h"

#define DICT_MT "tine.shared_dict"
#define KEYS_DEFAULT 1024      /* get_keys() without a count, as OpenResty */
#define BUFFER_START 4096

/* The process's one buffer: static, so it stays reachable (and a leak
 * checker quiet) when a script ends its process with os.exit, which
 * never closes the Lua state. */
static struct buffer {
    char *p;
    size_t cap;
} scratch;

struct dict {                  /* a dictionary object (upvalue 1 of every
                                * method: its metatable) */
    struct shdict *d;
    char name[SHDICT_NAME_MAX];
};

/* The dictionary object at argument 1, or an error. */
static struct dict *check_dict(lua_State *L)
{
    struct dict *d = lua_touserdata(L, 1);
    if (d && lua_getmetatable(L, 1)) {
        int same = lua_rawequal(L, -1, lua_upvalueindex(1));
        lua_pop(L, 1);  /* its metatable */
        if (same) return d;
    }
    luaL_typerror(L, 1, "shared dictionary (call its methods with a colon)");
    return NULL;
}

/* The buffer, grown to at least n bytes. */
static struct buffer *buffer_at_least(lua_State *L, size_t n)
{
    struct buffer *b = &scratch;
    if (n < BUFFER_START) n = BUFFER_START;
    if (n > b->cap) {
        char *p = realloc(b->p, n);
        if (!p) luaL_error(L, "not enough memory");
        b->p = p;
        b->cap = n;
    }
    return b;
}

/* nil and OpenResty's words for rc. */
static int fail(lua_State *L, int rc)
{
    lua_pushnil(L);
    lua_pushstring(L, shdict_strerror(rc));
    return 2;
}

/* The key at argument 2 (a non-string through tostring, as OpenResty
 * does): 1 with *key and *len, or 0 with nil, "nil key" pushed. */
static int get_key(lua_State *L, const char **key, size_t *len)
{
    if (lua_isnoneornil(L, 2)) {
        lua_pushnil(L);
        lua_pushliteral(L, "nil key");
        return 0;
    }
    if (!lua_isstring(L, 2)) {
        lua_getglobal(L, "tostring");
        lua_pushvalue(L, 2);
        lua_call(L, 1, 1);
        lua_replace(L, 2);
    }
    *key = lua_tolstring(L, 2, len);
    if (!*key) luaL_argerror(L, 2, "the key's tostring is not a string");
    return 1;
}

/* A method's dictionary (argument 1) and key (argument 2). */
struct call {
    struct dict *d;
    const char *key;
    size_t klen;
};

/* Fill c from the arguments: 1, or 0 with nil, "nil key" pushed (return
 * 2 then). */
static int begin(lua_State *L, struct call *c)
{
    c->d = check_dict(L);
    return get_key(L, &c->key, &c->klen);
}

/* Seconds at argument idx (none or nil: 0 unless required); an error if
 * not a number of at least 0. */
static double get_seconds(lua_State *L, int idx, int required)
{
    if (!required && lua_isnoneornil(L, idx)) return 0;
    double s = lua_type(L, idx) == LUA_TNUMBER ? lua_tonumber(L, idx) : -1;
    if (!(s >= 0)) luaL_argerror(L, idx, "seconds: a number, at least 0");
    return s;
}

/* The value at argument 3 into v: 1, or 0 for a type no dictionary
 * holds. */
static int get_value(lua_State *L, struct shdict_value *v)
{
    switch (lua_type(L, 3)) {
    case LUA_TNONE:
    case LUA_TNIL: v->type = SHDICT_NIL; return 1;
    case LUA_TBOOLEAN:
        v->type = SHDICT_BOOLEAN;
        v->num = lua_toboolean(L, 3);
        return 1;
    case LUA_TNUMBER:
        v->type = SHDICT_NUMBER;
        v->num = lua_tonumber(L, 3);
        return 1;
    case LUA_TSTRING:
        v->type = SHDICT_STRING;
        v->str = lua_tolstring(L, 3, &v->len);
        return 1;
    default: return 0;
    }
}

static void push_value(lua_State *L, const struct shdict_value *v)
{
    switch (v->type) {
    case SHDICT_BOOLEAN: lua_pushboolean(L, v->num != 0); break;
    case SHDICT_NUMBER: lua_pushnumber(L, v->num); break;
    case SHDICT_STRING: lua_pushlstring(L, v->str, v->len); break;
    default: lua_pushnil(L);
    }
}

/* value, flags = d:get(key): flags only when not 0; nil if absent. */
static int dict_get(lua_State *L)
{
    struct call c;
    if (!begin(L, &c)) return 2;
    struct buffer *b = buffer_at_least(L, 0);
    struct shdict_value v;
    int rc;
    /* Ends: the buffer grows toward the capacity, which every value fits. */
    while ((rc = shdict_get(c.d->d, c.key, c.klen, &v, b->p, b->cap)) ==
           SHDICT_TOO_SMALL)
        b = buffer_at_least(L, v.len);
    if (rc == SHDICT_NOT_FOUND) {
        lua_pushnil(L);
        return 1;
    }
    if (rc != SHDICT_OK) return fail(L, rc);
    push_value(L, &v);
    if (v.flags == 0) return 1;
    lua_pushnumber(L, v.flags);
    return 2;
}

/* ok, err, forcible = d:OP(key, value, exptime?, flags?). */
static int store(lua_State *L, enum shdict_store_op op)
{
    struct shdict_value v = {.type = SHDICT_NIL};
    struct call c;
    if (!begin(L, &c)) return 2;
    if (!get_value(L, &v)) return fail(L, SHDICT_BAD_VALUE);
    double exptime = get_seconds(L, 4, 0);
    if (!lua_isnoneornil(L, 5)) {
        double flags = lua_type(L, 5) == LUA_TNUMBER ? lua_tonumber(L, 5) : -1;
        if (!(flags >= 0 && flags <= 4294967295.0))
            luaL_argerror(L, 5, "flags: a number from 0 to 2^32 - 1");
        v.flags = (uint32_t)flags;
    }
    int forcible = 0;
    int rc = shdict_store(c.d->d, op, c.key, c.klen, &v, exptime, &forcible);
    if (rc == SHDICT_EMPTY_KEY || rc == SHDICT_KEY_TOO_LONG) return fail(L, rc);
    lua_pushboolean(L, rc == SHDICT_OK);
    if (rc == SHDICT_OK) lua_pushnil(L);
    else lua_pushstring(L, shdict_strerror(rc));
    lua_pushboolean(L, forcible);
    return 3;
}

static int dict_set(lua_State *L) { return store(L, SHDICT_SET); }
static int dict_safe_set(lua_State *L) { return store(L, SHDICT_SAFE_SET); }
static int dict_add(lua_State *L) { return store(L, SHDICT_ADD); }
static int dict_safe_add(lua_State *L) { return store(L, SHDICT_SAFE_ADD); }
static int dict_replace(lua_State *L) { return store(L, SHDICT_REPLACE); }

/* d:delete(key): d:set(key, nil). */
static int dict_delete(lua_State *L)
{
    lua_settop(L, 2);
    return store(L, SHDICT_SET);
}

/* newval = d:incr(key, n); newval, nil, forcible = d:incr(key, n, init,
 * init_ttl?); nil and why on failure. */
static int dict_incr(lua_State *L)
{
    struct call c;
    if (!begin(L, &c)) return 2;
    if (!lua_isnumber(L, 3))
        luaL_argerror(L, 3, "cannot convert 'value' to a number");
    int has_init = !lua_isnoneornil(L, 4);
    if (has_init && !lua_isnumber(L, 4))
        luaL_argerror(L, 4, "init: a number");
    if (!has_init && !lua_isnoneornil(L, 5))
        luaL_argerror(L, 5, "init_ttl needs init");
    double init = lua_tonumber(L, 4), ttl = get_seconds(L, 5, 0), newval = 0;
    int forcible = 0;
    int rc = shdict_incr(c.d->d, c.key, c.klen, lua_tonumber(L, 3),
                         has_init ? &init : NULL, ttl, &newval, &forcible);
    if (rc != SHDICT_OK) return fail(L, rc);
    lua_pushnumber(L, newval);
    if (!has_init) return 1;
    lua_pushnil(L);
    lua_pushboolean(L, forcible);
    return 3;
}

/* seconds = d:ttl(key): 0 for a key that never expires. */
static int dict_ttl(lua_State *L)
{
    struct call c;
    double ttl;
    if (!begin(L, &c)) return 2;
    int rc = shdict_ttl(c.d->d, c.key, c.klen, &ttl);
    if (rc != SHDICT_OK) return fail(L, rc);
    lua_pushnumber(L, ttl);
    return 1;
}

/* true = d:expire(key, exptime): 0 never expires. */
static int dict_expire(lua_State *L)
{
    struct call c;
    if (!begin(L, &c)) return 2;
    int rc = shdict_expire(c.d->d, c.key, c.klen, get_seconds(L, 3, 1));
    if (rc != SHDICT_OK) return fail(L, rc);
    lua_pushboolean(L, 1);
    return 1;
}

static int dict_flush_all(lua_State *L)
{
    shdict_flush_all(check_dict(L)->d);
    return 0;
}

/* The count at argument 2 (none or nil: dflt), a whole number >= 0. */
static unsigned get_count(lua_State *L, unsigned dflt)
{
    if (lua_isnoneornil(L, 2)) return dflt;
    double n = lua_type(L, 2) == LUA_TNUMBER ? lua_tonumber(L, 2) : -1;
    if (!(n >= 0 && n <= 4294967295.0))
        luaL_argerror(L, 2, "a count of at least 0");
    return (unsigned)n;
}

/* flushed = d:flush_expired(max?): frees up to max (0: all). */
static int dict_flush_expired(lua_State *L)
{
    struct dict *d = check_dict(L);
    unsigned flushed = 0;
    shdict_flush_expired(d->d, get_count(L, 0), &flushed);
    lua_pushnumber(L, flushed);
    return 1;
}

/* keys = d:get_keys(max?): up to max live keys (default 1024; 0: all),
 * most recently used first. */
static int dict_get_keys(lua_State *L)
{
    struct dict *d = check_dict(L);
    unsigned max = get_count(L, KEYS_DEFAULT), n;
    struct buffer *b = buffer_at_least(L, 0);
    size_t used, pos = 0, klen;
    const char *key;
    int rc;
    while ((rc = shdict_get_keys(d->d, max, b->p, b->cap, &used, &n)) ==
           SHDICT_TOO_SMALL)
        b = buffer_at_least(L, used);
    if (rc != SHDICT_OK) return fail(L, rc);
    lua_createtable(L, (int)n, 0);
    for (int i = 1; shdict_keys_next(b->p, used, &pos, &key, &klen); i++) {
        lua_pushlstring(L, key, klen);
        lua_rawseti(L, -2, i);
    }
    return 1;
}

static int dict_capacity(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)shdict_capacity(check_dict(L)->d));
    return 1;
}

static int dict_free_space(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)shdict_free_space(check_dict(L)->d));
    return 1;
}

static int dict_tostring(lua_State *L)
{
    struct dict *d = lua_touserdata(L, 1);
    lua_pushfstring(L, "tine.shared.%s", d->name);
    return 1;
}

/* The metatable of dictionary objects, its methods closures over it;
 * left on the stack. */
static void push_metatable(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"get", dict_get}, {"set", dict_set}, {"safe_set", dict_safe_set},
        {"add", dict_add}, {"safe_add", dict_safe_add},
        {"replace", dict_replace}, {"delete", dict_delete},
        {"incr", dict_incr}, {"ttl", dict_ttl}, {"expire", dict_expire},
        {"flush_all", dict_flush_all}, {"flush_expired", dict_flush_expired},
        {"get_keys", dict_get_keys}, {"capacity", dict_capacity},
        {"free_space", dict_free_space}, {NULL, NULL}};
    luaL_newmetatable(L, DICT_MT);
    lua_newtable(L);                       /* methods */
    for (const luaL_Reg *f = methods; f->name; f++) {
        lua_pushvalue(L, -2);              /* the metatable */
        lua_pushcclosure(L, f->func, 1);
        lua_setfield(L, -2, f->name);
    }
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, dict_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "tine.shared");
    lua_setfield(L, -2, "__metatable");
}

void shdict_api_open(lua_State *L, const struct shdict_zones *zones,
                     const struct settings *s)
{
    char name[SHDICT_NAME_MAX], err[256];
    size_t size;
    lua_newtable(L);                       /* tine.shared */
    if (!zones || s->shared_dict.n == 0) {  /* no dictionaries, no methods */
        lua_setfield(L, -2, "shared");
        return;
    }
    push_metatable(L);
    for (int i = 0; i < s->shared_dict.n; i++) {
        if (shdict_zone_parse(s->shared_dict.items[i], name, &size, err,
                              sizeof(err)) < 0)
            continue;                      /* refused at config time */
        struct shdict *sd = shdict_zones_find(zones, name, size);
        if (!sd) continue;
        struct dict *d = lua_newuserdata(L, sizeof(*d));
        d->d = sd;
        memcpy(d->name, name, sizeof(name));
        lua_pushvalue(L, -2);
        lua_setmetatable(L, -2);
        lua_setfield(L, -3, name);
    }
    lua_pop(L, 1);                         /* the metatable */
    lua_setfield(L, -2, "shared");
}
