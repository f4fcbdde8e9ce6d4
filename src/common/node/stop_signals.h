// SIGTERM / SIGINT that arrive before a node's event loop listens for them.
// A supervisor may stop a process in its first milliseconds (a rollout
// aborted at once, a test that starts and stops): the default action would
// kill it uncleanly. catchEarlyStopSignals() (run by runNode() first thing)
// records such a signal instead; Node::run() drains at once if one came. It
// also unblocks the two signals: the local launcher starts nodes with them
// blocked, which closes the window before main (loading, static init) too.
#pragma once

namespace polis {

void catchEarlyStopSignals();
bool earlyStopRequested();

}  // namespace polis
