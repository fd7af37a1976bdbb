#include "filter_env.h"

#include "flow_rules.h"

static const char *
env_domain(void *ctx, const hf_flow_record_t *r, char *buf, size_t size)
{
    const struct hf_names *names = ctx;
    uint8_t source;
    const fbVarfield_t *name = hf_flow_name(r, &source);

    if (!name->len)
        return NULL;
    return hf_names_domain(names, (const char *)name->buf, name->len, buf, size);
}

static const char *
env_device(void *ctx, const hf_flow_record_t *r, bool src)
{
    return hf_names_device(ctx, r, src);
}

void
hf_filter_env_names(struct hf_filter_env *env, const struct hf_names *names)
{
    env->domain = env_domain;
    env->device = env_device;
    env->ctx = (void *)names;
}
