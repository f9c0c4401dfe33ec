#include <stdlib.h>

#include "model.h"
#include "names.h"

static void enum_free(cpgen_enum_t *e)
{
    cpgen_names_close(&e->names);
    free(e->package);
    for (size_t i = 0; i < e->n_values; i++) {
        free(e->values[i].name);
        free(e->values[i].c_name);
    }
    free(e->values);
    free(e->comment);
    free(e);
}

static void message_free(cpgen_message_t *m)
{
    cpgen_names_close(&m->names);
    free(m->package);
    for (size_t i = 0; i < m->n_fields; i++) {
        cpgen_field_t *f = &m->fields[i];
        free(f->name);
        free(f->member);
        free(f->default_text);
        free(f->default_bytes);
        free(f->comment);
    }
    free(m->fields);
    for (size_t i = 0; i < m->n_oneofs; i++) {
        free(m->oneofs[i].name);
        free(m->oneofs[i].case_member);
        free(m->oneofs[i].case_type);
        free(m->oneofs[i].case_upper);
    }
    free(m->oneofs);
    free(m->comment);
    free(m->base);
    free(m);
}

void cpgen_file_free(cpgen_file_t *file)
{
    if (!file)
        return;
    free(file->source);
    free(file->base);
    free(file->suffix);
    free(file->header_name);
    free(file->guard);
    free(file->pbc_header);
    free(file->pbc_guard);
    free(file->package);
    for (size_t i = 0; i < file->n_includes; i++)
        free(file->includes[i]);
    free(file->includes);
    for (size_t i = 0; i < file->n_enums; i++)
        enum_free(file->enums[i]);
    free(file->enums);
    for (size_t i = 0; i < file->n_messages; i++)
        message_free(file->messages[i]);
    free(file->messages);
    for (size_t i = 0; i < file->n_extern_enums; i++)
        enum_free(file->extern_enums[i]);
    free(file->extern_enums);
    for (size_t i = 0; i < file->n_extern_messages; i++)
        message_free(file->extern_messages[i]);
    free(file->extern_messages);
    for (size_t i = 0; i < file->n_actors; i++) {
        if (file->actors[i].service)
            cpgen_names_close(&file->actors[i].service_names);
        cpgen_actor_close(&file->actors[i]);
    }
    free(file->actors);
    if (file->owner_free)
        file->owner_free(file->owner);
    free(file);
}
