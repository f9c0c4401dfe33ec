#include "cproc/error.h"

#include <stddef.h>

static const struct {
    int code;
    const char *name;
    const char *text;
} errors[] = {
    {CP_OK, "CP_OK", "success"},
    {CP_EINVAL, "CP_EINVAL", "invalid argument"},
    {CP_ENOMEM, "CP_ENOMEM", "out of memory"},
    {CP_ENOENT, "CP_ENOENT", "no such process, handler, route or file"},
    {CP_EEXIST, "CP_EEXIST", "name already in use"},
    {CP_ESTATE, "CP_ESTATE", "object is in the wrong state for this call"},
    {CP_ETERMINATED, "CP_ETERMINATED", "process has terminated"},
    {CP_EDEADLK, "CP_EDEADLK", "the call would wait on itself"},
    {CP_ETIMEDOUT, "CP_ETIMEDOUT", "timed out"},
    {CP_ETOOBIG, "CP_ETOOBIG", "size limit exceeded"},
    {CP_EPROTO, "CP_EPROTO", "protocol error from peer"},
    {CP_ECONN, "CP_ECONN", "connection failed or broke"},
    {CP_EIO, "CP_EIO", "operating system call failed"},
    {CP_ETLS, "CP_ETLS", "TLS error"},
    {CP_ENOTSUP, "CP_ENOTSUP", "not supported"},
    {CP_EFULL, "CP_EFULL", "queue is full (a mailbox bound or a peer's outbound queue)"},
};

const char *cp_strerror(int code)
{
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
        if (errors[i].code == code)
            return errors[i].text;
    return "unknown error";
}

const char *cp_err_name(int code)
{
    for (size_t i = 0; i < sizeof(errors) / sizeof(errors[0]); i++)
        if (errors[i].code == code)
            return errors[i].name;
    return "CP_E?";
}
