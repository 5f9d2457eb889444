//! Isolated, bounded execution of tool code: a supervisor and a warm worker pool.
