#include "public/public_cmds.h"

#include <stdio.h>

#include "common/tree/ts_tree.h"

int
public_status_main(int argc, char **argv)
{
	TS_BUF(out);
	TS_BUF(err);
	int rc = ts_tree_status_command("tapeseal", argc, argv, &out, &err);
	(void)fwrite(out.data, 1, out.len, stdout);
	(void)fwrite(err.data, 1, err.len, stderr);
	return rc;
}
