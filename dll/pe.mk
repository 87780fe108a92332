# GNU make rules for the PE DLLs, included by Makefile.am (automake cannot parse define).
# $(1) arch directory, $(2) compiler, $(3) dlltool, $(4) winebuild target, $(5) DLL entry
# symbol, $(6) extra link flags, $(7) windres
define pe_arch
$(1)_OBJS = $$(PE_SRCS:dll/%.c=build/$(1)/%.o)
build/$(1)/%.o: $$(srcdir)/dll/%.c $$(PE_HDRS)
	@mkdir -p $$(@D)
	$$(AM_V_CC)$(2) $$(PE_CFLAGS) $$(PE_CFLAGS_$(1)) -c -o $$@ $$<
build/$(1)/%.def: $$(srcdir)/spec/%.spec
	@mkdir -p $$(@D)
	$$(AM_V_GEN)$$(WINEBUILD) --def -b $(4) -E $$< -o $$@
build/$(1)/libkernelbase.a: build/$(1)/kernelbase-imports.def
	$$(AM_V_GEN)$(3) -k -d $$< -D kernelbase.dll -l $$@
build/$(1)/liblfheap.a: build/$(1)/lfheap.def
	$$(AM_V_GEN)$(3) -k -d $$< -D lfheap.dll -l $$@
build/$(1)/lfheap.dll: $$($(1)_OBJS) build/$(1)/lfheap.def build/$(1)/libkernelbase.a
	$$(AM_V_CCLD)$(2) -shared -nostdlib -o $$@ $$($(1)_OBJS) build/$(1)/lfheap.def \
	    -Lbuild/$(1) $$(PE_LIBS) -Wl,--entry,$(5) $(6)
build/$(1)/kernel32.dll: $$($(1)_OBJS) build/$(1)/swapin.o build/$(1)/global.o build/$(1)/kernel32.def build/$(1)/libkernelbase.a
	$$(AM_V_CCLD)$(2) -shared -nostdlib -o $$@ $$($(1)_OBJS) build/$(1)/swapin.o build/$(1)/global.o build/$(1)/kernel32.def \
	    -Lbuild/$(1) $$(PE_LIBS) -Wl,--entry,$(5) $(6)
build/$(1)/kernel32.exports: build/$(1)/kernel32.dll tools/pe-info$$(EXEEXT)
	$$(AM_V_GEN)tools/pe-info exports $$< > $$@
# Not beside the DLLs: Wine would load kernel32.dll from the program's directory.
build/probe-$(1).exe: $$(srcdir)/tools/probe.c
	@mkdir -p $$(@D)
	$$(AM_V_CC)$(2) -O2 -Wall -o $$@ $$<
build/$(1)/tests/%.exe: $$(srcdir)/tests/wine/%.c
	@mkdir -p $$(@D)
	$$(AM_V_CC)$(2) -O2 -Wall -o $$@ $$< -lole32 -loleaut32 -lshell32
build/$(1)/tests/sysinfo.exe: $$(srcdir)/tests/wine/sysinfo.c
	@mkdir -p $$(@D)
	$$(AM_V_CC)$(2) -O2 -Wall -o $$@ $$< -lpsapi
build/$(1)/tests/sysinfo-win10.exe: $$(srcdir)/tests/wine/sysinfo.c $$(srcdir)/tests/wine/sysinfo-win10.rc $$(srcdir)/tests/wine/sysinfo-win10.manifest
	@mkdir -p $$(@D)
	$$(AM_V_GEN)$(7) -I$$(srcdir)/tests/wine $$(srcdir)/tests/wine/sysinfo-win10.rc -O coff -o build/$(1)/tests/sysinfo-win10.res.o
	$$(AM_V_CC)$(2) -O2 -Wall -o $$@ $$< build/$(1)/tests/sysinfo-win10.res.o -lpsapi
# Each bug in a function of its own, as the report names them: no inlining, no tail calls;
# frame pointers, which i386 stack traces follow (PE_CFLAGS_i386).
build/$(1)/tests/checks.exe: $$(srcdir)/tests/wine/checks.c
	@mkdir -p $$(@D)
	$$(AM_V_CC)$(2) -O1 -fno-inline -fno-optimize-sibling-calls -fno-omit-frame-pointer -Wall -o $$@ $$<
build/$(1)/tests/stress.exe: $$(srcdir)/tests/stress.c
	@mkdir -p $$(@D)
	$$(AM_V_CC)$(2) -O2 -Wall -o $$@ $$<
# The seed (Microsoft's example) calls SIZETMult, which mingw-w64 lacks; SIZE_T is
# ULONG_PTR there, so ULongPtrMult has its types (SizeTMult takes a size_t *, which is
# unsigned int on i686, and GCC 14 rejects the mismatch).
build/$(1)/tests/seed.exe: $$(srcdir)/conformance/seed_getprocessheaps.c
	@mkdir -p $$(@D)
	$$(AM_V_CC)$(2) -O2 -DSIZETMult=ULongPtrMult -o $$@ $$<
build/$(1)/tests/seed-lfheap.exe: $$(srcdir)/conformance/seed_getprocessheaps.c build/$(1)/liblfheap.a
	@mkdir -p $$(@D)
	$$(AM_V_CC)$(2) -O2 -DSIZETMult=ULongPtrMult -o $$@ $$< build/$(1)/liblfheap.a
build/$(1)/conformance/%.exe: $$(srcdir)/conformance/%.c $$(srcdir)/conformance/conform.h
	@mkdir -p $$(@D)
	$$(AM_V_CC)$(2) -O2 -Wall -Wno-unused-function -o $$@ $$<
build/$(1)/bench/winbench.exe: $$(srcdir)/bench/winbench.c $$(srcdir)/bench/workloads.c $$(srcdir)/bench/workloads.h
	@mkdir -p $$(@D)
	$$(AM_V_CC)$(2) -std=gnu11 -O2 -I$$(srcdir)/bench -o $$@ $$(srcdir)/bench/winbench.c $$(srcdir)/bench/workloads.c -lpsapi
PE_TESTS += $$(addprefix build/$(1)/conformance/,$$(addsuffix .exe,$$(CONFORMANCE_AREAS)))
PE_TESTS += $$(addprefix build/$(1)/tests/,mixed.exe threads.exe corrupt.exe debugheap.exe checks.exe stress.exe seed.exe seed-lfheap.exe \
                                          sysinfo.exe sysinfo-win10.exe)
PE_DLLS += build/$(1)/lfheap.dll build/$(1)/kernel32.dll build/$(1)/liblfheap.a build/$(1)/kernel32.exports \
           build/probe-$(1).exe
endef

comma = ,
$(eval $(call pe_arch,x86_64,$(MINGW64_CC),$(MINGW64_DLLTOOL),x86_64-w64-mingw32,DllMain,,$(MINGW64_WINDRES)))
ifneq ($(MINGW32_CC),)
ifneq ($(MINGW32_DLLTOOL),)
$(eval $(call pe_arch,i386,$(MINGW32_CC),$(MINGW32_DLLTOOL),i686-w64-mingw32,_DllMain@12,-Wl$(comma)--kill-at,$(MINGW32_WINDRES)))
endif
endif

