/* shdict_api.h: tine.shared, the script's view of the shared dictionaries
 * (OpenResty's ngx.shared.DICT): one object per dictionary, whose methods
 * are C functions over shdict.h with OpenResty's arguments and results. */
#ifndef TINE_SHDICT_API_H
#define TINE_SHDICT_API_H

struct lua_State;
struct settings;
struct shdict_zones;

/* Set field `shared` of the table at the top of L's stack to a table of
 * the dictionaries s->shared_dict names, found in zones (NULL, in the
 * master's state: the table is empty). */
void shdict_api_open(struct lua_State *L, const struct shdict_zones *zones,
                     const struct settings *s);

#endif
