/*
 * A fault-injecting PKCS#11 module for tests: forwards every call to a real
 * module (ACMB_FAULT_P11_TARGET, default SoftHSM 2) and makes chosen
 * functions fail with chosen CK_RVs: the first SKIP calls go through, every
 * later one fails, as a token that broke or was pulled mid-way would:
 *     ACMB_FAULT_P11=C_WrapKey:CKR_DEVICE_REMOVED[:SKIP]
 * or, for a token pulled right after a call succeeded, every wrapped call
 * after the first successful FN fails:
 *     ACMB_FAULT_P11=after:C_WrapKey:CKR_DEVICE_REMOVED
 * Up to MAX_RULES such rules, separated by commas, apply together.
 * A real component with chosen failures, not a mock of acmbridge's code.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#define DEFAULT_TARGET "/usr/lib/softhsm/libsofthsm2.so"

static CK_FUNCTION_LIST *real;
static CK_FUNCTION_LIST wrapped;
/* As long as the env buffer it is copied from, so it is never truncated. */
#define FAULT_SPEC_MAX 160
#define MAX_RULES 4
static struct rule {
	char fn[FAULT_SPEC_MAX];
	CK_RV rv;
	long skip;
	int after; /* "after:" mode: the token goes once fn has succeeded */
} rules[MAX_RULES];
static size_t nrules;
/* Set once an "after:" rule's function succeeded: every call fails. */
static const struct rule *gone;

static const struct {
	const char *name;
	CK_RV rv;
} rv_names[] = {
    {"CKR_GENERAL_ERROR", CKR_GENERAL_ERROR},
    {"CKR_FUNCTION_FAILED", CKR_FUNCTION_FAILED},
    {"CKR_DEVICE_ERROR", CKR_DEVICE_ERROR},
    {"CKR_DEVICE_REMOVED", CKR_DEVICE_REMOVED},
    {"CKR_TOKEN_NOT_PRESENT", CKR_TOKEN_NOT_PRESENT},
    {"CKR_PIN_INCORRECT", CKR_PIN_INCORRECT},
    {"CKR_PIN_LOCKED", CKR_PIN_LOCKED},
    {"CKR_HOST_MEMORY", CKR_HOST_MEMORY},
    {"CKR_KEY_UNEXTRACTABLE", CKR_KEY_UNEXTRACTABLE},
    {"CKR_SESSION_HANDLE_INVALID", CKR_SESSION_HANDLE_INVALID},
    {"CKR_ACTION_PROHIBITED", CKR_ACTION_PROHIBITED},
    {"CKR_TEMPLATE_INCONSISTENT", CKR_TEMPLATE_INCONSISTENT},
};

static void
parse_rule(char *spec)
{
	struct rule *r = &rules[nrules];
	char *rvs, *skip;
	size_t i;

	if (strncmp(spec, "after:", 6) == 0) {
		r->after = 1;
		spec += 6;
	}
	if ((rvs = strchr(spec, ':')) == NULL)
		return;
	*rvs++ = '\0';
	if ((skip = strchr(rvs, ':')) != NULL) {
		*skip++ = '\0';
		r->skip = strtol(skip, NULL, 10);
	}
	snprintf(r->fn, sizeof(r->fn), "%s", spec);
	r->rv = strtoul(rvs, NULL, 0);
	for (i = 0; i < sizeof(rv_names) / sizeof(rv_names[0]); i++)
		if (strcmp(rv_names[i].name, rvs) == 0)
			r->rv = rv_names[i].rv;
	nrules++;
}

static void
parse_fault(void)
{
	const char *spec = getenv("ACMB_FAULT_P11");
	char buf[FAULT_SPEC_MAX], *one, *save = NULL;

	if (spec == NULL || strlen(spec) >= sizeof(buf))
		return;
	strcpy(buf, spec);
	for (one = strtok_r(buf, ",", &save); one != NULL && nrules < MAX_RULES;
	     one = strtok_r(NULL, ",", &save))
		parse_rule(one);
}

/* The CK_RV fn must fail with now, or CKR_OK to forward the call. */
static CK_RV
faulted(const char *fn)
{
	size_t i;

	if (gone != NULL)
		return gone->rv;
	/* Bounded by the array as well: nrules is a global the compiler cannot
	 * see bounded, and GCC 12 -O2 then warns about reading past rules[]. */
	for (i = 0; i < nrules && i < MAX_RULES; i++) {
		if (strcmp(fn, rules[i].fn) != 0 || rules[i].after)
			continue;
		if (rules[i].skip > 0) {
			rules[i].skip--;
			return CKR_OK;
		}
		return rules[i].rv;
	}
	return CKR_OK;
}

#define FAULT(name)                                                                                \
	do {                                                                                       \
		CK_RV fault_rv_ = faulted(#name);                                                  \
		if (fault_rv_ != CKR_OK)                                                           \
			return fault_rv_;                                                          \
	} while (0)

/* For "after:" rules, marks the token gone once fn returned CKR_OK. */
static CK_RV
passed(const char *fn, CK_RV rv)
{
	size_t i;

	for (i = 0; i < nrules && i < MAX_RULES && rv == CKR_OK && gone == NULL; i++)
		if (rules[i].after && strcmp(fn, rules[i].fn) == 0)
			gone = &rules[i];
	return rv;
}

static CK_RV
f_Login(CK_SESSION_HANDLE s, CK_USER_TYPE u, CK_UTF8CHAR_PTR pin, CK_ULONG len)
{
	FAULT(C_Login);
	return passed("C_Login", real->C_Login(s, u, pin, len));
}

static CK_RV
f_WrapKey(CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_OBJECT_HANDLE w, CK_OBJECT_HANDLE k,
    CK_BYTE_PTR out, CK_ULONG_PTR len)
{
	CK_RV rv;

	FAULT(C_WrapKey);
	rv = real->C_WrapKey(s, m, w, k, out, len);
	/* A length query (out NULL) has not wrapped anything yet. */
	return out == NULL ? rv : passed("C_WrapKey", rv);
}

static CK_RV
f_GetAttributeValue(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	FAULT(C_GetAttributeValue);
	return passed("C_GetAttributeValue", real->C_GetAttributeValue(s, o, t, n));
}

static CK_RV
f_CreateObject(CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR h)
{
	FAULT(C_CreateObject);
	return passed("C_CreateObject", real->C_CreateObject(s, t, n, h));
}

static CK_RV
f_FindObjectsInit(CK_SESSION_HANDLE s, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	FAULT(C_FindObjectsInit);
	return passed("C_FindObjectsInit", real->C_FindObjectsInit(s, t, n));
}

static CK_RV
f_OpenSession(
    CK_SLOT_ID slot, CK_FLAGS flags, CK_VOID_PTR app, CK_NOTIFY notify, CK_SESSION_HANDLE_PTR s)
{
	FAULT(C_OpenSession);
	return passed("C_OpenSession", real->C_OpenSession(slot, flags, app, notify, s));
}

static CK_RV
f_DestroyObject(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o)
{
	FAULT(C_DestroyObject);
	return passed("C_DestroyObject", real->C_DestroyObject(s, o));
}

static CK_RV
f_GetTokenInfo(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR info)
{
	FAULT(C_GetTokenInfo);
	return passed("C_GetTokenInfo", real->C_GetTokenInfo(slot, info));
}

static CK_RV
f_FindObjects(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE_PTR h, CK_ULONG max, CK_ULONG_PTR n)
{
	FAULT(C_FindObjects);
	return passed("C_FindObjects", real->C_FindObjects(s, h, max, n));
}

static CK_RV
f_FindObjectsFinal(CK_SESSION_HANDLE s)
{
	FAULT(C_FindObjectsFinal);
	return passed("C_FindObjectsFinal", real->C_FindObjectsFinal(s));
}

static CK_RV
f_Logout(CK_SESSION_HANDLE s)
{
	FAULT(C_Logout);
	return passed("C_Logout", real->C_Logout(s));
}

static CK_RV
f_CloseSession(CK_SESSION_HANDLE s)
{
	FAULT(C_CloseSession);
	return passed("C_CloseSession", real->C_CloseSession(s));
}

static CK_RV
f_GenerateKey(
    CK_SESSION_HANDLE s, CK_MECHANISM_PTR m, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR h)
{
	FAULT(C_GenerateKey);
	return passed("C_GenerateKey", real->C_GenerateKey(s, m, t, n, h));
}

static CK_RV
f_SetAttributeValue(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n)
{
	FAULT(C_SetAttributeValue);
	return passed("C_SetAttributeValue", real->C_SetAttributeValue(s, o, t, n));
}

CK_RV
C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list)
{
	const char *target = getenv("ACMB_FAULT_P11_TARGET");
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	void *dl;
	CK_RV rv;

	if (real == NULL) {
		if ((dl = dlopen(target != NULL ? target : DEFAULT_TARGET, RTLD_NOW)) == NULL)
			return CKR_GENERAL_ERROR;
		*(void **)&get = dlsym(dl, "C_GetFunctionList");
		if (get == NULL || (rv = get(&real)) != CKR_OK)
			return CKR_GENERAL_ERROR;
		parse_fault();
		wrapped = *real;
		wrapped.C_GetFunctionList = C_GetFunctionList;
		wrapped.C_Login = f_Login;
		wrapped.C_WrapKey = f_WrapKey;
		wrapped.C_GetAttributeValue = f_GetAttributeValue;
		wrapped.C_CreateObject = f_CreateObject;
		wrapped.C_FindObjectsInit = f_FindObjectsInit;
		wrapped.C_OpenSession = f_OpenSession;
		wrapped.C_DestroyObject = f_DestroyObject;
		wrapped.C_GetTokenInfo = f_GetTokenInfo;
		wrapped.C_FindObjects = f_FindObjects;
		wrapped.C_FindObjectsFinal = f_FindObjectsFinal;
		wrapped.C_Logout = f_Logout;
		wrapped.C_CloseSession = f_CloseSession;
		wrapped.C_GenerateKey = f_GenerateKey;
		wrapped.C_SetAttributeValue = f_SetAttributeValue;
	}
	*list = &wrapped;
	return CKR_OK;
}
