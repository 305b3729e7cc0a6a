/* Test helper: prints a decimal integer (argv[1]) as 32 big-endian bytes in hex. */
#include <stdio.h>

#include <openssl/bn.h>

int
main(int argc, char **argv)
{
	BIGNUM *bn = NULL;
	unsigned char b[32];
	if (argc != 2 || BN_dec2bn(&bn, argv[1]) == 0 || BN_bn2binpad(bn, b, 32) != 32) {
		return 2;
	}
	for (int i = 0; i < 32; i++) {
		printf("%02x", b[i]);
	}
	printf("\n");
	BN_free(bn);
	return 0;
}
