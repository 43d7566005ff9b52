package federation

// LaneOf exposes the lane a conversation is queued in, for tests.
var LaneOf = laneOf
