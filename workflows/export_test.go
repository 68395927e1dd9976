package workflows

// What the tests of package workflows_test use of this package's tests:
// they record histories through the whole product (internal/apitest),
// which imports this package, so they cannot live in it.

// Recording reports whether the test run records histories (-record).
func Recording() bool { return *record }

// SaveHistory is saveHistory: it writes a run's history to testdata/ and
// checks that it replays.
var SaveHistory = saveHistory
