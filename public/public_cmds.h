#ifndef TS_PUBLIC_PUBLIC_CMDS_H
#define TS_PUBLIC_PUBLIC_CMDS_H

/* One entry point per `tapeseal` subcommand; each returns the exit status. */
int public_generate_main(int argc, char **argv);
int public_verify_main(int argc, char **argv);
int public_scan_main(int argc, char **argv);
int public_otp_image_main(int argc, char **argv);
int public_prov_main(int argc, char **argv);
int public_otp_consts_main(int argc, char **argv);
int public_status_main(int argc, char **argv);

/* Prints "tapeseal <cmd>: <message>" for the recorded error and returns 1. */
int public_fail(const char *cmd);

#endif
