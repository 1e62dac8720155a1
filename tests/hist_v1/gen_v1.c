#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include "hist.h"
static struct cfg cfg; static struct tag_value img[CFG_MAX_TAGS];
static int add(const char *n, double lo, double hi){struct cfg_tag*t=&cfg.tags[cfg.ntags];snprintf(t->name,sizeof t->name,"%s",n);t->type=TAG_UINT16;t->scale=1;t->has_range=1;t->range_lo=lo;t->range_hi=hi;return cfg.ntags++;}
static const char *names[]={"bath_temp","roof_temp","chamber_p"};
static int pr(const struct hist_point*p,void*c){(void)c;printf("%.3f %s %.17g %d%s\n",p->t,names[p->tag],p->v,(int)p->q,p->prior?" prior":"");return 0;}
int main(int argc,char**argv){
 const char*dir=argv[1]; (void)argc;
 cfg.server.historian_period_s=1; cfg.server.historian_deadband_pct=0.1;
 add("bath_temp",0,1200); add("roof_temp",0,1600); add("chamber_p",-100,100);
 struct hist h; if(hist_open(&h,dir,&cfg)<0){perror("open");return 1;}
 double T0=1795946400.0; /* 2026-11-29T10:00:00Z */
 for(int i=0;i<10;i++){ img[0]=(struct tag_value){.v=740.5+i*2.25,.q=Q_GOOD}; img[1]=(struct tag_value){.v=1100.0+(i>5?30:0),.q=i==4||i==5?Q_STALE:Q_GOOD}; img[2]=(struct tag_value){.v=-2.5+i*0.125,.q=i==7?Q_BAD_SENSOR:Q_GOOD}; hist_sample(&h,T0+i,img);}
 hist_close(&h);
 /* a torn write at the end of the first day: half of a record */
 char p[512]; snprintf(p,sizeof p,"%s/hist-2026-11-29.dat",dir); int fd=open(p,O_WRONLY|O_APPEND); write(fd,"HMS\0\x20\0\0\0abc",12); close(fd);
 double T1=1795996800.0+3600; /* next day */
 hist_open(&h,dir,&cfg);
 for(int i=0;i<5;i++){ img[0]=(struct tag_value){.v=800+i,.q=Q_GOOD}; img[1]=(struct tag_value){.v=1200,.q=Q_GOOD}; img[2]=(struct tag_value){.v=1.0,.q=i==2?Q_BAD_COMMS:Q_GOOD}; hist_sample(&h,T1+i*30,img);}
 hist_close(&h);
 hist_query(dir,names,3,T0-10,T1+1000,false,pr,NULL);
 return 0;}
