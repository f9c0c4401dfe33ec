/* cproc — everything: include this one header to use the runtime. */
#ifndef CPROC_CPROC_H
#define CPROC_CPROC_H

#include "cproc/actor_metrics.h"
#include "cproc/clock.h"
#include "cproc/collect.h"
#include "cproc/dispatch.h"
#include "cproc/error.h"
#include "cproc/filter.h"
#include "cproc/future.h"
#include "cproc/http.h"
#include "cproc/log.h"
#include "cproc/loop.h"
#include "cproc/mailbox.h"
#include "cproc/message.h"
#include "cproc/metrics.h"
#include "cproc/mutex.h"
#include "cproc/pid.h"
#include "cproc/pipe.h"
#include "cproc/process.h"
#include "cproc/protocol.h"
#include "cproc/queue.h"
#include "cproc/runtime.h"
#include "cproc/sequence.h"
#include "cproc/subprocess.h"
#include "cproc/testing.h"
#include "cproc/watch.h"

#endif
