import * as echarts from 'echarts/core';
import { LineChart } from 'echarts/charts';
import { GridComponent, TitleComponent, LegendComponent, MarkLineComponent, MarkAreaComponent, GraphicComponent, VisualMapComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
echarts.use([LineChart, GridComponent, TitleComponent, LegendComponent, MarkLineComponent, MarkAreaComponent, GraphicComponent, VisualMapComponent, SVGRenderer]);
const c = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 400, height: 300 });
c.setOption({ animation:false, xAxis:{type:'time'}, yAxis:{}, series:[{type:'line', data:[[0,1],[1000,2]]}]});
console.log(c.renderToSVGString().slice(0,300));
