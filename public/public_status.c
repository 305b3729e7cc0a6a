#include "public/public_cmds.h"

#include <stdio.h>

#include "common/tree/ts_tree.h"

int
public_status_main(int argc, char **argv)
{
	const char *root, *top;
	int json, help, verdict;
	TS_BUF(out);
	ts_error_clear();
	if (ts_tree_status_args(argc, argv, &root, &top, &json, &help).code != 0) {
		fprintf(stderr, "tapeseal status: %s; see 'tapeseal status --help'\n", ts_last_error_message());
		return 2;
	}
	if (help) {
		printf("Usage: tapeseal %s", ts_tree_status_usage);
		return 0;
	}
	if (ts_tree_status_report(root, top, json, &out, &verdict).code != 0) {
		return public_fail("status");
	}
	fwrite(out.data, 1, out.len, stdout);
	return verdict == TS_TREE_OTHER ? 1 : 0;
}
